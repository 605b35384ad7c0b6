#include "agent_vm.hpp"

#include <unistd.h>

#include <fstream>

#include <spdlog/spdlog.h>

#include "aether/trace/trace.hpp"
#include "guest_span.hpp"
#include "sha256.hpp"

namespace aether::vmm {

using guest_proto::Clock;

namespace {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  urandom.read(out.data(), static_cast<std::streamsize>(n));
  return out;
}

std::string to_hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

AgentVm::~AgentVm() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> AgentVm::attach_channel(int fd, Clock::time_point deadline,
                                     Clock::time_point launched) {
  std::lock_guard lock(mutex_);
  fd_ = fd;
  reader_.emplace(fd_);
  auto frame = reader_->read(deadline);
  if (!frame) {
    const auto code = frame.error().code == guest_proto::Errc::kTimeout  ? Errc::kBootTimeout
                      : frame.error().code == guest_proto::Errc::kClosed ? Errc::kSpawn
                                                                         : Errc::kProtocol;
    dead_ = "no hello from the agent: " + frame.error().message;
    return std::unexpected(Error{code, "VM " + config_.id + ": " + *dead_ + diagnostics()});
  }
  if (!frame->has_hello()) {
    dead_ = "the agent's first frame is not a Hello";
    return std::unexpected(Error{Errc::kProtocol, "VM " + config_.id + ": " + *dead_});
  }
  hello_ = frame->hello();
  boot_time_ = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - launched);
  return {};
}

Result<void> AgentVm::attach_restored(int fd, Clock::time_point deadline,
                                      Clock::time_point launched, bool new_identity) {
  std::lock_guard lock(mutex_);
  fd_ = fd;
  reader_.emplace(fd_);
  v1::GuestFrame frame;
  frame.set_id(next_id_++);
  auto* r = frame.mutable_restored();
  r->set_random_seed(random_bytes(64));
  r->set_wall_clock_unix_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  if (new_identity) {
    std::string host;
    for (char c : config_.id) host += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    r->set_hostname(host.substr(0, 63));
    r->set_machine_id(to_hex(random_bytes(16)));
  }
  if (auto sent = guest_proto::write_frame(fd_, frame, deadline); !sent) {
    dead_ = "restore: sending Restored: " + sent.error().message;
    return std::unexpected(Error{Errc::kSpawn, "VM " + config_.id + ": " + *dead_});
  }
  for (;;) {
    auto reply = reader_->read(deadline);
    if (!reply) {
      dead_ = "no answer to Restored from the agent: " + reply.error().message;
      return std::unexpected(Error{
          reply.error().code == guest_proto::Errc::kTimeout ? Errc::kBootTimeout : Errc::kProtocol,
          "VM " + config_.id + ": " + *dead_ + diagnostics()});
    }
    if (reply->id() == 0 && reply->has_hello()) continue;  // the agent reopened its channel
    if (reply->id() != frame.id() || !reply->has_hello()) {
      dead_ = "the agent did not answer Restored with a Hello" +
              (reply->has_error() ? ": " + reply->error().message() : std::string());
      return std::unexpected(Error{Errc::kProtocol, "VM " + config_.id + ": " + *dead_});
    }
    hello_ = reply->hello();
    boot_time_ = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - launched);
    return {};
  }
}

Result<void> AgentVm::snapshot(const std::filesystem::path& dir) {
  std::lock_guard lock(mutex_);
  if (auto alive = check_alive(); !alive) return std::unexpected(alive.error());
  auto taken = snapshot_vmm(dir);
  if (!taken && taken.error().code == Errc::kUnsupported) return taken;  // the VM runs on
  dead_ = taken ? "snapshot taken; the VM ended" : "snapshot failed: " + taken.error().message;
  kill_vmm();
  return taken;
}

Result<void> AgentVm::pause() {
  std::lock_guard lock(mutex_);
  if (auto alive = check_alive(); !alive) return std::unexpected(alive.error());
  auto paused = pause_vmm();
  if (!paused && paused.error().code == Errc::kUnsupported) return paused;  // the VM runs on
  dead_ = paused ? "paused; the VMM ended" : "pause failed: " + paused.error().message;
  kill_vmm();
  return paused;
}

Clock::time_point AgentVm::request_deadline() const {
  return Clock::now() + config_.request_timeout;
}

Result<void> AgentVm::check_alive() const {
  if (dead_)
    return std::unexpected(Error{Errc::kVmDead, "VM " + config_.id + " is gone: " + *dead_});
  return {};
}

Error AgentVm::fail(const guest_proto::Error& error, const std::string& during) {
  const Errc code = error.code == guest_proto::Errc::kTimeout  ? Errc::kTimeout
                    : error.code == guest_proto::Errc::kClosed ? Errc::kVmDead
                                                               : Errc::kProtocol;
  dead_ = during + ": " + error.message;
  spdlog::warn("vmm: VM {} killed: {}", config_.id, *dead_);
  kill_vmm();
  return Error{code, "VM " + config_.id + " killed: " + *dead_};
}

Error AgentVm::fail_unexpected(const v1::GuestFrame& frame, const std::string& during) {
  return fail(guest_proto::Error{guest_proto::Errc::kMalformed,
                                 "unexpected frame (id " + std::to_string(frame.id()) + ", body " +
                                     std::to_string(frame.body_case()) + ")"},
              during);
}

Result<void> AgentVm::send(const v1::GuestFrame& frame, Clock::time_point deadline) {
  if (auto sent = guest_proto::write_frame(fd_, frame, deadline); !sent) {
    return std::unexpected(fail(sent.error(), "sending a request"));
  }
  return {};
}

Result<v1::GuestFrame> AgentVm::receive(std::uint64_t id, Clock::time_point deadline) {
  auto frame = reader_->read(deadline);
  if (!frame) return std::unexpected(fail(frame.error(), "waiting for the agent"));
  while (frame->id() != id && frame->has_error() && ignored_ids_.erase(frame->id()) > 0) {
    frame = reader_->read(deadline);
    if (!frame) return std::unexpected(fail(frame.error(), "waiting for the agent"));
  }
  if (frame->id() != id) return std::unexpected(fail_unexpected(*frame, "waiting for the agent"));
  return std::move(*frame);
}

Result<std::chrono::microseconds> AgentVm::ping() {
  std::lock_guard lock(mutex_);
  if (auto alive = check_alive(); !alive) return std::unexpected(alive.error());
  const auto start = Clock::now();
  v1::GuestFrame frame;
  frame.set_id(next_id_++);
  frame.mutable_ping()->set_nonce(frame.id() * 7919);
  if (auto sent = send(frame, request_deadline()); !sent) return std::unexpected(sent.error());
  auto reply = receive(frame.id(), request_deadline());
  if (!reply) return std::unexpected(reply.error());
  if (!reply->has_pong() || reply->pong().nonce() != frame.ping().nonce()) {
    return std::unexpected(fail_unexpected(*reply, "ping"));
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

Result<v1::ExecReply> AgentVm::exec(v1::ExecRequest request, const OutputCallback& on_output) {
  std::lock_guard lock(mutex_);
  if (auto alive = check_alive(); !alive) return std::unexpected(alive.error());
  if (request.argv_size() == 0) {
    return std::unexpected(Error{Errc::kInvalidConfig, "exec: argv must not be empty"});
  }
  if (request.timeout_ms() == 0) {
    request.set_timeout_ms(static_cast<std::uint32_t>(config_.default_exec_timeout.count()));
  }
  // The caller's current span is the parent of the agent's, unless the
  // request names its own.
  if (request.trace().traceparent().empty()) {
    if (auto current = trace::current_context()) {
      request.mutable_trace()->set_traceparent(trace::format_traceparent(*current));
      request.mutable_trace()->set_tracestate(current->tracestate);
    }
  }
  const auto sent_at = std::chrono::system_clock::now();
  v1::GuestFrame frame;
  frame.set_id(next_id_++);
  request.set_exec_id(frame.id());
  *frame.mutable_exec() = std::move(request);
  // The guest enforces the timeout; the host allows it some slack before it
  // declares the guest silent.
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(frame.exec().timeout_ms()) + config_.request_timeout;
  if (auto sent = send(frame, request_deadline()); !sent) return std::unexpected(sent.error());
  std::string out, err;
  bool truncated = false;
  bool kill_sent = false;
  for (;;) {
    auto reply = receive(frame.id(), deadline);
    if (!reply) return std::unexpected(reply.error());
    if (reply->has_exec_output()) {
      const auto& chunk = reply->exec_output();
      if (on_output) {
        if (!on_output(chunk) && !kill_sent) {
          v1::GuestFrame kill;
          kill.set_id(next_id_++);
          ignored_ids_.insert(kill.id());
          kill.mutable_exec_kill()->set_exec_id(frame.id());
          if (auto sent = send(kill, request_deadline()); !sent)
            return std::unexpected(sent.error());
          kill_sent = true;
        }
        continue;
      }
      auto& sink = chunk.stream() == v1::ExecOutputChunk::STREAM_STDERR ? err : out;
      if (out.size() + err.size() + chunk.data().size() > config_.max_collected_output) {
        truncated = true;
      } else {
        sink += chunk.data();
      }
      continue;
    }
    if (reply->has_exec_reply()) {
      v1::ExecReply result = reply->exec_reply();
      result.set_stdout(std::move(out));
      result.set_stderr(std::move(err));
      if (truncated) result.set_output_truncated(true);
      if (auto span = guest_span_for_export(result.guest_span(), frame.exec().trace(), sent_at,
                                            std::chrono::system_clock::now())) {
        trace::export_recorded(std::move(*span));
      }
      return result;
    }
    if (reply->has_error()) {
      return std::unexpected(Error{Errc::kGuestError, reply->error().message()});
    }
    return std::unexpected(fail_unexpected(*reply, "exec"));
  }
}

Result<v1::FilePutReply> AgentVm::put_file(const v1::FilePut& put) {
  std::lock_guard lock(mutex_);
  if (auto alive = check_alive(); !alive) return std::unexpected(alive.error());
  const std::string& content = put.content();
  const std::size_t chunk = guest_proto::kChunkSize;
  v1::GuestFrame first;
  first.set_id(next_id_++);
  *first.mutable_file_put() = put;
  first.mutable_file_put()->set_content(content.substr(0, chunk));
  if (auto sent = send(first, request_deadline()); !sent) return std::unexpected(sent.error());
  std::size_t off = std::min(chunk, content.size());
  do {
    v1::GuestFrame data;
    data.set_id(first.id());
    data.mutable_file_data()->set_data(content.substr(off, chunk));
    off = std::min(off + chunk, content.size());
    data.mutable_file_data()->set_last(off == content.size());
    if (auto sent = send(data, request_deadline()); !sent) return std::unexpected(sent.error());
  } while (off < content.size());
  auto reply = receive(first.id(), request_deadline());
  if (!reply) return std::unexpected(reply.error());
  if (reply->has_error())
    return std::unexpected(Error{Errc::kGuestError, reply->error().message()});
  if (!reply->has_file_put_reply()) return std::unexpected(fail_unexpected(*reply, "file put"));
  if (reply->file_put_reply().sha256() != sha256_hex(content) ||
      reply->file_put_reply().size() != content.size()) {
    return std::unexpected(
        Error{Errc::kGuestError, "file put: the guest stored " +
                                     std::to_string(reply->file_put_reply().size()) +
                                     " bytes with another sha256 than sent"});
  }
  return reply->file_put_reply();
}

Result<v1::FileGetReply> AgentVm::get_file(const v1::FileGet& get) {
  std::lock_guard lock(mutex_);
  if (auto alive = check_alive(); !alive) return std::unexpected(alive.error());
  v1::GuestFrame frame;
  frame.set_id(next_id_++);
  *frame.mutable_file_get() = get;
  if (auto sent = send(frame, request_deadline()); !sent) return std::unexpected(sent.error());
  std::string content;
  for (;;) {
    auto reply = receive(frame.id(), request_deadline());
    if (!reply) return std::unexpected(reply.error());
    if (reply->has_file_data()) {
      content += reply->file_data().data();
      if (get.max_bytes() > 0 && content.size() > get.max_bytes()) {
        return std::unexpected(fail(
            guest_proto::Error{guest_proto::Errc::kOversized, "the guest sent more than max_bytes"},
            "file get"));
      }
      continue;
    }
    if (reply->has_error())
      return std::unexpected(Error{Errc::kGuestError, reply->error().message()});
    if (!reply->has_file_get_reply()) return std::unexpected(fail_unexpected(*reply, "file get"));
    v1::FileGetReply result = reply->file_get_reply();
    if (result.sha256() != sha256_hex(content) || result.size() != content.size()) {
      return std::unexpected(
          Error{Errc::kGuestError, "file get: content does not match its sha256"});
    }
    result.set_content(std::move(content));
    return result;
  }
}

Result<void> AgentVm::shutdown(std::chrono::milliseconds grace) {
  std::lock_guard lock(mutex_);
  if (auto alive = check_alive(); !alive) return std::unexpected(alive.error());
  const auto give_up = Clock::now() + grace;
  auto kill_after_grace = [&] {
    dead_ = "killed after the shutdown grace of " + std::to_string(grace.count()) + " ms";
    kill_vmm();
    return std::unexpected(Error{Errc::kTimeout, "VM " + config_.id +
                                                     ": the guest did not power off within the "
                                                     "grace of " +
                                                     std::to_string(grace.count()) +
                                                     " ms; the VMM was killed"});
  };
  if (grace.count() <= 0) return kill_after_grace();
  v1::GuestFrame frame;
  frame.set_id(next_id_++);
  frame.mutable_shutdown();
  const auto ack_deadline = std::min(request_deadline(), give_up);
  if (auto sent = send(frame, ack_deadline); !sent) return std::unexpected(sent.error());
  auto reply = receive(frame.id(), ack_deadline);
  if (!reply) return std::unexpected(reply.error());
  if (!reply->has_shutdown_reply()) return std::unexpected(fail_unexpected(*reply, "shutdown"));
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(
      std::max(give_up - Clock::now(), Clock::duration::zero()));
  if (!wait_vmm_exit(left)) return kill_after_grace();
  dead_ = "shut down";
  stopped_cleanly_ = true;
  return {};
}

void AgentVm::kill() {
  interrupt_vmm();  // unblocks a request holding mutex_: its channel closes
  std::lock_guard lock(mutex_);
  if (!dead_) dead_ = "killed";
  kill_vmm();
}

VmStatus AgentVm::status() {
  std::lock_guard lock(mutex_);
  if (stopped_cleanly_) return {VmState::kStopped, "shut down"};
  if (dead_) return {VmState::kFailed, *dead_};
  auto status = vmm_status();
  if (status.state != VmState::kRunning) dead_ = status.detail;
  return status;
}

}  // namespace aether::vmm
