// Runs the agent's serve loop on a thread over a socketpair, and plays the host.
#pragma once

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "aether/guest_proto/channel.hpp"
#include "agent.hpp"

namespace aether::vm_agent::testing {

using namespace std::chrono_literals;

struct ExecOutcome {
  std::string out;
  std::string err;
  v1::ExecReply reply;
  std::optional<v1::ErrorReply> error;
  std::vector<std::uint64_t> seqs;
};

class AgentHarness {
 public:
  explicit AgentHarness(AgentOptions options = {}, bool expect_hello = true) {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) == 0);
    reader_.emplace(fds_[0]);
    thread_ = std::thread([this, options] {
      Agent agent(fds_[1], options);
      end_ = agent.serve();
    });
    if (expect_hello) hello_ = read();
  }
  ~AgentHarness() {
    close_host();
    thread_.join();
    ::close(fds_[1]);
  }
  void close_host() {
    if (fds_[0] >= 0) ::close(fds_[0]);
    fds_[0] = -1;
  }
  ServeEnd join() {
    thread_.join();
    thread_ = std::thread([] {});
    return end_;
  }

  void send(const v1::GuestFrame& frame) {
    REQUIRE(guest_proto::write_frame(fds_[0], frame, guest_proto::Clock::now() + 10s));
  }
  void send_raw(const std::string& bytes) {
    REQUIRE(guest_proto::write_all(fds_[0], bytes, guest_proto::Clock::now() + 10s));
  }
  guest_proto::Result<v1::GuestFrame> try_read() {
    return reader_->read(guest_proto::Clock::now() + 20s);
  }
  v1::GuestFrame read() {
    auto frame = reader_->read(guest_proto::Clock::now() + 20s);
    if (!frame) FAIL("reading a frame: " << frame.error().message);
    return *frame;
  }

  ExecOutcome exec(std::uint64_t id, v1::ExecRequest request) {
    v1::GuestFrame frame;
    frame.set_id(id);
    request.set_exec_id(id);
    *frame.mutable_exec() = std::move(request);
    send(frame);
    return collect(id);
  }
  ExecOutcome collect(std::uint64_t id) {
    ExecOutcome outcome;
    for (;;) {
      auto reply = read();
      REQUIRE(reply.id() == id);
      if (reply.has_exec_output()) {
        const auto& chunk = reply.exec_output();
        (chunk.stream() == v1::ExecOutputChunk::STREAM_STDOUT ? outcome.out : outcome.err) +=
            chunk.data();
        outcome.seqs.push_back(chunk.seq());
      } else if (reply.has_exec_reply()) {
        outcome.reply = reply.exec_reply();
        return outcome;
      } else {
        REQUIRE(reply.has_error());
        outcome.error = reply.error();
        return outcome;
      }
    }
  }

  const v1::GuestFrame& hello() const { return hello_; }

 private:
  int fds_[2] = {-1, -1};
  std::optional<guest_proto::FrameReader> reader_;
  std::thread thread_;
  ServeEnd end_ = ServeEnd::kChannelClosed;
  v1::GuestFrame hello_;
};

inline v1::ExecRequest command(std::vector<std::string> argv) {
  v1::ExecRequest request;
  for (auto& a : argv) request.add_argv(std::move(a));
  request.set_timeout_ms(20'000);
  return request;
}

}  // namespace aether::vm_agent::testing
