#include <catch2/catch.hpp>

#include "aether/digest/sha256.hpp"

using aether::digest::Sha256;
using aether::digest::sha256_hex;

// Test vectors from FIPS 180-2.
TEST_CASE("sha256_hex matches the FIPS 180-2 vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("Sha256 fed in pieces equals one call, and starts over after hex()") {
  Sha256 sha;
  sha.update("ab");
  sha.update("");
  sha.update("c");
  CHECK(sha.hex() == sha256_hex("abc"));
  sha.update("abc");
  CHECK(sha.hex() == sha256_hex("abc"));
  Sha256 moved = std::move(sha);
  moved.update("x");
  CHECK(moved.hex() == sha256_hex("x"));
}
