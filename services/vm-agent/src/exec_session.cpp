#include "exec_session.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>

namespace aether::vm_agent {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
// After the command exits, background children that still hold its pipes get
// this long before the pipes are closed on them.
constexpr auto kDrainGrace = std::chrono::milliseconds(500);
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void set_nonblock(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

struct Pipe {
  int read = -1;
  int write = -1;
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read = fds[0];
    write = fds[1];
    return true;
  }
  void close_both() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
    read = write = -1;
  }
};

// The user an exec runs as (the image's USER), applied after chroot.
struct ChildUser {
  bool set = false;
  uid_t uid = 0;
  gid_t gid = 0;
  const std::vector<gid_t>* groups = nullptr;
};

[[noreturn]] void fail_child(const Pipe& status) {
  const int e = errno;
  (void)!::write(status.write, &e, sizeof e);
  ::_exit(127);
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const Pipe& in, const Pipe& out, const Pipe& err, const Pipe& status,
                             const char* root, const ChildUser& user, const char* cwd,
                             char* const* argv, char* const* envp) {
  ::setsid();  // own process group, so a timeout kills everything it started
  for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::dup2(in.read, 0);
  ::dup2(out.write, 1);
  ::dup2(err.write, 2);
  if (root != nullptr && (::chroot(root) != 0 || ::chdir("/") != 0)) fail_child(status);
  if (user.set) {
    if (::setgroups(user.groups->size(), user.groups->data()) != 0 || ::setgid(user.gid) != 0 ||
        ::setuid(user.uid) != 0) {
      fail_child(status);
    }
  }
  if (cwd != nullptr && ::chdir(cwd) != 0) fail_child(status);
  ::execvpe(argv[0], argv, envp);
  fail_child(status);
}

}  // namespace

std::expected<std::unique_ptr<ExecSession>, std::string> ExecSession::start(
    std::uint64_t frame_id, const v1::ExecRequest& request, const std::string& root,
    const ImageDefaults* defaults) {
  if (request.argv_size() == 0 || request.argv(0).empty()) {
    return std::unexpected("exec: argv must name a program (argv[0] is empty)");
  }
  if (!request.cwd().empty() && request.cwd()[0] != '/') {
    return std::unexpected("exec: cwd must be an absolute path, got '" + request.cwd() + "'");
  }
  for (const auto& [key, value] : request.env()) {
    if (key.empty() || key.find('=') != std::string::npos) {
      return std::unexpected("exec: env names must be non-empty and contain no '=', got '" + key +
                             "'");
    }
  }
  // Everything the child needs is built before fork: no allocation after it.
  std::vector<std::string> argv_store(request.argv().begin(), request.argv().end());
  // Our defaults, under the image's (ENV, its user's HOME), under the request's.
  std::map<std::string, std::string> env{
      {"PATH", kDefaultPath}, {"HOME", "/root"}, {"TERM", "dumb"}};
  ChildUser user;
  std::string cwd_store = request.cwd();
  if (defaults != nullptr) {
    if (!defaults->home.empty()) env["HOME"] = defaults->home;
    for (const auto& [key, value] : defaults->env) env[key] = value;
    if (cwd_store.empty()) cwd_store = defaults->workdir;
    if (defaults->uid) user = {true, *defaults->uid, defaults->gid, &defaults->groups};
  }
  for (const auto& [key, value] : request.env()) env[key] = value;
  std::vector<std::string> env_store;
  for (const auto& [key, value] : env) env_store.push_back(key + "=" + value);
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  const char* cwd = cwd_store.empty() ? nullptr : cwd_store.c_str();

  Pipe in, out, err, status;
  if (!in.open() || !out.open() || !err.open() || !status.open()) {
    in.close_both();
    out.close_both();
    err.close_both();
    status.close_both();
    return std::unexpected(std::string("exec: pipe: ") + std::strerror(errno));
  }
  std::unique_ptr<ExecSession> session(new ExecSession());
  session->span_.start("vm-agent exec", request.trace());
  session->span_.set_attribute("process.command", request.argv(0));
  session->started_ = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    in.close_both();
    out.close_both();
    err.close_both();
    status.close_both();
    return std::unexpected(std::string("exec: fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    exec_child(in, out, err, status, root.empty() ? nullptr : root.c_str(), user, cwd, argv.data(),
               envp.data());
  }

  ::close(in.read);
  ::close(out.write);
  ::close(err.write);
  ::close(status.write);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(status.read, &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(status.read);
  session->pid_ = pid;
  session->frame_id_ = frame_id;
  session->exec_id_ = request.exec_id();
  session->stdin_fd_ = in.write;
  session->stdout_fd_ = out.read;
  session->stderr_fd_ = err.read;
  if (n == sizeof child_errno) {
    // The child reported why exec failed; the session's destructor reaps it.
    std::string what = cwd != nullptr && child_errno == ENOENT
                           ? "exec: cannot run '" + request.argv(0) + "' in '" + cwd_store + "'"
                           : "exec: cannot run '" + request.argv(0) + "'";
    return std::unexpected(what + ": " + std::strerror(child_errno));
  }
  session->pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  set_nonblock(session->stdin_fd_);
  set_nonblock(session->stdout_fd_);
  set_nonblock(session->stderr_fd_);
  session->stdin_data_ = request.stdin();
  if (session->stdin_data_.empty()) session->close_fd(session->stdin_fd_);
  if (request.timeout_ms() > 0) {
    session->timeout_at_ = session->started_ + std::chrono::milliseconds(request.timeout_ms());
  }
  return session;
}

ExecSession::~ExecSession() {
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
  close_fd(pidfd_);
  if (pid_ > 0 && !wait_status_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);  // bounded: SIGKILL cannot be ignored
  }
}

void ExecSession::close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::vector<pollfd> ExecSession::poll_fds() const {
  std::vector<pollfd> fds;
  if (stdout_fd_ >= 0) fds.push_back({stdout_fd_, POLLIN, 0});
  if (stderr_fd_ >= 0) fds.push_back({stderr_fd_, POLLIN, 0});
  if (stdin_fd_ >= 0) fds.push_back({stdin_fd_, POLLOUT, 0});
  if (pidfd_ >= 0 && !wait_status_) fds.push_back({pidfd_, POLLIN, 0});
  return fds;
}

void ExecSession::on_ready(const pollfd& ready, const Emit& emit) {
  if (ready.fd == stdout_fd_)
    read_stream(stdout_fd_, v1::ExecOutputChunk::STREAM_STDOUT, emit);
  else if (ready.fd == stderr_fd_)
    read_stream(stderr_fd_, v1::ExecOutputChunk::STREAM_STDERR, emit);
  else if (ready.fd == stdin_fd_)
    write_stdin();
  // pidfd readiness only wakes the loop; the agent reaps.
}

void ExecSession::read_stream(int& fd, v1::ExecOutputChunk::Stream stream, const Emit& emit) {
  std::array<char, kReadChunk> buf{};
  const ssize_t n = ::read(fd, buf.data(), buf.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    close_fd(fd);
    return;
  }
  v1::GuestFrame frame;
  frame.set_id(frame_id_);
  auto* chunk = frame.mutable_exec_output();
  chunk->set_stream(stream);
  chunk->set_data(buf.data(), static_cast<std::size_t>(n));
  chunk->set_seq(seq_++);
  chunk->set_exec_id(exec_id_);
  emit(frame);
}

void ExecSession::write_stdin() {
  const ssize_t n =
      ::write(stdin_fd_, stdin_data_.data() + stdin_written_, stdin_data_.size() - stdin_written_);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n < 0) {  // EPIPE: the command does not read its stdin
    close_fd(stdin_fd_);
    return;
  }
  stdin_written_ += static_cast<std::size_t>(n);
  if (stdin_written_ == stdin_data_.size()) close_fd(stdin_fd_);
}

void ExecSession::on_tick(Clock::time_point now) {
  if (!wait_status_ && timeout_at_ && now >= *timeout_at_ && !timed_out_) {
    timed_out_ = true;
    kill(SIGKILL);
  }
  if (wait_status_ && drain_until_ && now >= *drain_until_) {
    close_fd(stdout_fd_);
    close_fd(stderr_fd_);
  }
}

std::optional<Clock::time_point> ExecSession::next_deadline() const {
  if (!wait_status_ && timeout_at_ && !timed_out_) return timeout_at_;
  if (wait_status_ && (stdout_fd_ >= 0 || stderr_fd_ >= 0)) return drain_until_;
  return std::nullopt;
}

void ExecSession::set_exit_status(int wait_status) {
  wait_status_ = wait_status;
  close_fd(stdin_fd_);
  close_fd(pidfd_);
  // Whatever the command left running in its group goes with it.
  ::kill(-pid_, SIGKILL);
  drain_until_ = Clock::now() + kDrainGrace;
}

void ExecSession::kill(int signal) {
  if (wait_status_) return;
  ::kill(-pid_, signal);
  ::kill(pid_, signal);
}

bool ExecSession::done() const { return wait_status_ && stdout_fd_ < 0 && stderr_fd_ < 0; }

v1::ExecReply ExecSession::finish() {
  v1::ExecReply reply;
  reply.set_exec_id(exec_id_);
  const int status = wait_status_.value_or(0);
  if (WIFSIGNALED(status)) {
    reply.set_exit_code(-1);
    reply.set_signal(WTERMSIG(status));
  } else {
    reply.set_exit_code(WEXITSTATUS(status));
  }
  reply.set_timed_out(timed_out_);
  reply.set_duration_us(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count()));
  span_.set_attribute("process.exit_code", std::to_string(reply.exit_code()));
  if (reply.signal() != 0) span_.set_attribute("process.signal", std::to_string(reply.signal()));
  if (timed_out_)
    span_.set_error("timed out");
  else if (reply.exit_code() != 0)
    span_.set_error("exit code " + std::to_string(reply.exit_code()));
  *reply.mutable_guest_span() = span_.finish();
  return reply;
}

}  // namespace aether::vm_agent
