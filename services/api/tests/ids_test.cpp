// Unit tests of the pure parts: ids, the key format, the list cursor.
#include <catch2/catch.hpp>

#include <set>

#include "aether/digest/sha256.hpp"
#include "api_key.hpp"
#include "ids.hpp"
#include "vm_cursor.hpp"

using namespace aether::api;

TEST_CASE("UUIDv7s are well formed - versioned and sort by creation time", "[api]") {
  std::string previous;
  for (int i = 0; i < 50; ++i) {
    auto id = new_uuid_v7();
    REQUIRE(is_uuid(id));
    CHECK(id[14] == '7');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    if (!previous.empty()) CHECK(id.substr(0, 8) >= previous.substr(0, 8));
    previous = id;
  }
  CHECK(new_uuid_v4()[14] == '4');
  CHECK_FALSE(is_uuid("not-a-uuid"));
  CHECK_FALSE(is_uuid("0190c8e2-6c1a-7000-8000-00000000000g"));
  CHECK(is_uuid("0190C8E2-6C1A-7000-8000-000000000000"));
}

TEST_CASE("generated keys have the documented shape - a unique prefix and their sha256", "[api]") {
  std::set<std::string> prefixes;
  for (int i = 0; i < 100; ++i) {
    auto k = generate_api_key();
    REQUIRE(k.key.size() == kKeyLength);
    CHECK(k.key.starts_with(k.prefix + "_"));
    CHECK(k.prefix.starts_with("ak_"));
    CHECK(key_prefix(k.key) == k.prefix);
    CHECK(k.sha256 == aether::digest::sha256_hex(k.key));
    prefixes.insert(k.prefix);
  }
  CHECK(prefixes.size() == 100);
}

TEST_CASE("anything not shaped like a key is refused before any lookup", "[api]") {
  auto good = generate_api_key().key;
  CHECK(key_prefix(good));
  CHECK_FALSE(key_prefix(""));
  CHECK_FALSE(key_prefix(good.substr(1)));
  CHECK_FALSE(key_prefix(good + "x"));
  std::string upper_hex = good;
  upper_hex[3] = 'F';
  CHECK_FALSE(key_prefix(upper_hex));
  std::string bad_secret = good;
  bad_secret.back() = '!';
  CHECK_FALSE(key_prefix(bad_secret));
  std::string no_sep = good;
  no_sep[kKeyPrefixLength] = 'x';
  CHECK_FALSE(key_prefix(no_sep));
}

TEST_CASE("constant-time compare is a plain equality on its result", "[api]") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
}

TEST_CASE("a cursor round-trips and anything else is refused", "[api]") {
  VmCursor c{"2026-12-01T20:01:10.123456Z", "0190c8e2-6c1a-7000-8000-000000000001"};
  auto text = encode_cursor(c);
  CHECK(text.find_first_of("+/=") == std::string::npos);  // URL-safe as is
  auto back = decode_cursor(text);
  REQUIRE(back);
  CHECK(back->created_at == c.created_at);
  CHECK(back->id == c.id);
  CHECK_FALSE(decode_cursor(""));
  CHECK_FALSE(decode_cursor("!!!!"));
  CHECK_FALSE(decode_cursor(text.substr(0, text.size() - 4)));
  CHECK_FALSE(decode_cursor(encode_cursor({"yesterday", c.id})));
  CHECK_FALSE(decode_cursor(encode_cursor({c.created_at, "'; DROP TABLE vms; --"})));
}
