#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "aether/guest_proto/channel.hpp"

using namespace std::chrono_literals;
using aether::guest_proto::Clock;
using aether::guest_proto::Errc;
using aether::guest_proto::FrameReader;

namespace {

struct SocketPair {
  int fds[2] = {-1, -1};
  SocketPair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0); }
  ~SocketPair() {
    close(0);
    close(1);
  }
  void close(int i) {
    if (fds[i] >= 0) ::close(fds[i]);
    fds[i] = -1;
  }
};

}  // namespace

TEST_CASE("frames written to a socket are read back in order") {
  SocketPair pair;
  std::thread writer([&] {
    for (int i = 1; i <= 50; ++i) {
      aether::v1::GuestFrame frame;
      frame.set_id(i);
      frame.mutable_file_data()->set_data(std::string(100'000, static_cast<char>('a' + i % 26)));
      REQUIRE(aether::guest_proto::write_frame(pair.fds[0], frame, Clock::now() + 10s));
    }
  });
  FrameReader reader(pair.fds[1]);
  for (int i = 1; i <= 50; ++i) {
    auto frame = reader.read(Clock::now() + 10s);
    REQUIRE(frame);
    CHECK(frame->id() == static_cast<std::uint64_t>(i));
    CHECK(frame->file_data().data().size() == 100'000);
  }
  writer.join();
}

TEST_CASE("a silent peer makes read time out") {
  SocketPair pair;
  FrameReader reader(pair.fds[1]);
  auto frame = reader.read(Clock::now() + 100ms);
  REQUIRE_FALSE(frame);
  CHECK(frame.error().code == Errc::kTimeout);
}

TEST_CASE("a peer that closes mid-frame is reported as closed") {
  SocketPair pair;
  REQUIRE(::write(pair.fds[0], "\x00\x00\x00\x10\x08", 5) == 5);
  pair.close(0);
  FrameReader reader(pair.fds[1]);
  auto frame = reader.read(Clock::now() + 5s);
  REQUIRE_FALSE(frame);
  CHECK(frame.error().code == Errc::kClosed);
  CHECK(frame.error().message.find("inside a frame") != std::string::npos);
}

TEST_CASE("an oversized declared length is rejected without reading the payload") {
  SocketPair pair;
  REQUIRE(::write(pair.fds[0], "\x7f\xff\xff\xff", 4) == 4);
  FrameReader reader(pair.fds[1], 1024);
  auto frame = reader.read(Clock::now() + 5s);
  REQUIRE_FALSE(frame);
  CHECK(frame.error().code == Errc::kOversized);
}
