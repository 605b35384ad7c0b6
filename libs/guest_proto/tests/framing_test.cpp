#include <catch2/catch.hpp>

#include <string>

#include "aether/guest_proto/framing.hpp"

using aether::guest_proto::encode;
using aether::guest_proto::Errc;
using aether::guest_proto::FrameDecoder;
using aether::guest_proto::next_frame;

namespace {

aether::v1::GuestFrame ping(std::uint64_t id, std::uint64_t nonce) {
  aether::v1::GuestFrame frame;
  frame.set_id(id);
  frame.mutable_ping()->set_nonce(nonce);
  return frame;
}

}  // namespace

TEST_CASE("encode writes a big-endian length header before the payload") {
  auto frame = ping(7, 42);
  auto bytes = encode(frame);
  REQUIRE(bytes);
  const std::size_t payload = frame.ByteSizeLong();
  REQUIRE(bytes->size() == 4 + payload);
  CHECK(static_cast<unsigned char>((*bytes)[0]) == 0);
  CHECK(static_cast<unsigned char>((*bytes)[3]) == payload);
}

TEST_CASE("encode refuses a frame above the limit") {
  aether::v1::GuestFrame frame;
  frame.mutable_file_data()->set_data(std::string(2000, 'x'));
  auto bytes = encode(frame, 1000);
  REQUIRE_FALSE(bytes);
  CHECK(bytes.error().code == Errc::kOversized);
}

TEST_CASE("decoder yields frames fed one byte at a time") {
  std::string stream = *encode(ping(1, 10)) + *encode(ping(2, 20));
  FrameDecoder decoder;
  std::vector<aether::v1::GuestFrame> frames;
  for (char c : stream) {
    decoder.feed(std::string_view(&c, 1));
    for (;;) {
      auto next = next_frame(decoder);
      REQUIRE(next);
      if (!next->has_value()) break;
      frames.push_back(**next);
    }
  }
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].id() == 1);
  CHECK(frames[1].ping().nonce() == 20);
  CHECK(decoder.buffered() == 0);
}

TEST_CASE("decoder yields several frames from one read") {
  std::string stream;
  for (int i = 0; i < 100; ++i) stream += *encode(ping(i, i * 3));
  FrameDecoder decoder;
  decoder.feed(stream);
  int count = 0;
  for (;;) {
    auto next = next_frame(decoder);
    REQUIRE(next);
    if (!next->has_value()) break;
    CHECK((*next)->ping().nonce() == static_cast<std::uint64_t>(count * 3));
    ++count;
  }
  CHECK(count == 100);
}

TEST_CASE("decoder rejects a declared length above the limit before it arrives") {
  FrameDecoder decoder(1024);
  decoder.feed(std::string("\x00\x00\x04\x01", 4));  // 1025 bytes declared
  auto next = next_frame(decoder);
  REQUIRE_FALSE(next);
  CHECK(next.error().code == Errc::kOversized);
  CHECK(decoder.failed());
  // The failure is permanent: later bytes are not trusted.
  decoder.feed(*encode(ping(1, 1)));
  CHECK_FALSE(next_frame(decoder));
}

TEST_CASE("decoder rejects a zero length and a payload that is not a GuestFrame") {
  SECTION("zero length") {
    FrameDecoder decoder;
    decoder.feed(std::string("\0\0\0\0", 4));
    auto next = next_frame(decoder);
    REQUIRE_FALSE(next);
    CHECK(next.error().code == Errc::kMalformed);
  }
  SECTION("garbage payload") {
    FrameDecoder decoder;
    // Field 1 declared as a length-delimited field of 200 bytes inside a 5-byte payload.
    decoder.feed(std::string("\x00\x00\x00\x05\x0a\xc8\x01\xff\xff", 9));
    auto next = next_frame(decoder);
    REQUIRE_FALSE(next);
    CHECK(next.error().code == Errc::kMalformed);
  }
}

TEST_CASE("decoder waits for an incomplete frame without failing") {
  auto bytes = *encode(ping(5, 5));
  FrameDecoder decoder;
  decoder.feed(std::string_view(bytes).substr(0, bytes.size() - 1));
  auto next = next_frame(decoder);
  REQUIRE(next);
  CHECK_FALSE(next->has_value());
  decoder.feed(std::string_view(bytes).substr(bytes.size() - 1));
  next = next_frame(decoder);
  REQUIRE(next);
  REQUIRE(next->has_value());
  CHECK((*next)->id() == 5);
}
