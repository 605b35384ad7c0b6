#include "aether/devstack/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace aether::devstack {
namespace {

constexpr std::chrono::milliseconds kPollInterval{20};
constexpr std::chrono::milliseconds kKillWait{5'000};

std::string errno_text(int err) { return std::strerror(err); }

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended (status " + std::to_string(status) + ")";
}

struct UserIds {
  uid_t uid;
  gid_t gid;
  std::vector<gid_t> groups;
};

// Resolved before fork: getpwnam and getgrouplist are not async-signal-safe.
Result<UserIds> resolve_user(const std::string& name) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return make_error(Errc::kInvalidArgument, "run_as_user: OS user '" + name + "' does not exist");
  }
  UserIds ids{pw.pw_uid, pw.pw_gid, {}};
  int count = 64;
  ids.groups.resize(count);
  if (getgrouplist(name.c_str(), pw.pw_gid, ids.groups.data(), &count) < 0) {
    ids.groups.resize(count);
    getgrouplist(name.c_str(), pw.pw_gid, ids.groups.data(), &count);
  }
  ids.groups.resize(count);
  return ids;
}

// What the child was doing when it failed, reported with errno.
enum ChildStep : int {
  kStepSession,
  kStepRedirect,
  kStepUser,
  kStepParentDeath,
  kStepChdir,
  kStepExec
};

const char* step_text(int step) {
  switch (step) {
    case kStepSession:
      return "setsid";
    case kStepRedirect:
      return "redirecting stdio";
    case kStepUser:
      return "switching OS user";
    case kStepParentDeath:
      return "prctl(PR_SET_PDEATHSIG)";
    case kStepChdir:
      return "chdir to working_dir";
    default:
      return "exec";
  }
}

[[noreturn]] void child_fail(int err_fd, int step, int err) {
  int report[2] = {step, err};
  (void)!write(err_fd, report, sizeof report);
  _exit(127);
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const ProcessSpec& spec, char* const* argv, int log_fd, int err_fd,
                             const std::optional<UserIds>& user, pid_t parent) {
  auto fail = [err_fd](int step, int err) { child_fail(err_fd, step, err); };
  if (setsid() < 0) fail(kStepSession, errno);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd < 0) fail(kStepRedirect, errno);
  if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) {
    fail(kStepRedirect, errno);
  }
  // Inherited descriptors (a caller's pipe, sockets) would keep a reader of
  // our caller's output waiting for as long as the server runs.
  if (err_fd > 3) close_range(3, err_fd - 1, 0);
  close_range(err_fd + 1, ~0U, 0);
  if (user) {
    if (setgroups(user->groups.size(), user->groups.data()) < 0) fail(kStepUser, errno);
    if (setgid(user->gid) < 0) fail(kStepUser, errno);
    if (setuid(user->uid) < 0) fail(kStepUser, errno);
  }
  // After setuid: changing credentials clears the parent-death signal.
  if (spec.kill_with_parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail(kStepParentDeath, errno);
    if (getppid() != parent) _exit(126);
  }
  if (!spec.working_dir.empty() && chdir(spec.working_dir.c_str()) < 0) {
    fail(kStepChdir, errno);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  execv(argv[0], argv);
  child_fail(err_fd, kStepExec, errno);
}

}  // namespace

Result<ChildProcess> ChildProcess::spawn(ProcessSpec spec) {
  if (spec.argv.empty()) return make_error(Errc::kInvalidArgument, "argv: must not be empty");
  const std::string& program = spec.argv.front();
  if (access(program.c_str(), X_OK) != 0) {
    return make_error(Errc::kNotFound,
                      "program '" + program + "' is not an executable file: " + errno_text(errno));
  }
  if (spec.log_file.empty()) return make_error(Errc::kInvalidArgument, "log_file: must be set");
  std::optional<UserIds> user;
  if (!spec.run_as_user.empty()) {
    auto ids = resolve_user(spec.run_as_user);
    if (!ids) return std::unexpected(ids.error());
    user = std::move(*ids);
  }
  std::vector<char*> argv;
  for (auto& arg : spec.argv) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int log_fd = open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return make_error(Errc::kIo,
                      "cannot open log file " + spec.log_file.string() + ": " + errno_text(errno));
  }
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) < 0) {
    int err = errno;
    close(log_fd);
    return make_error(Errc::kSpawn, "pipe2: " + errno_text(err));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) exec_child(spec, argv.data(), log_fd, err_pipe[1], user, parent);
  int fork_errno = errno;
  close(log_fd);
  close(err_pipe[1]);
  if (pid < 0) {
    close(err_pipe[0]);
    return make_error(Errc::kSpawn, "fork: " + errno_text(fork_errno));
  }
  int report[2] = {0, 0};  // step, errno
  ssize_t n;
  do {
    n = read(err_pipe[0], report, sizeof report);
  } while (n < 0 && errno == EINTR);
  close(err_pipe[0]);
  if (n > 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    std::string as_user = spec.run_as_user.empty() ? "" : " as OS user " + spec.run_as_user;
    std::string where =
        report[0] == kStepChdir ? " (" + spec.working_dir.string() + ")" : std::string();
    return make_error(Errc::kSpawn, "cannot start '" + program + "'" + as_user + ": " +
                                        step_text(report[0]) + where +
                                        " failed: " + errno_text(report[1]));
  }

  ChildProcess child;
  child.spec_ = std::move(spec);
  child.pid_ = pid;
  if (!child.spec_.pid_file.empty()) {
    std::ofstream out(child.spec_.pid_file, std::ios::trunc);
    out << pid << '\n';
    if (!out) {
      return make_error(Errc::kIo, "cannot write pid file " + child.spec_.pid_file.string());
    }
  }
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0 || detached_) return;
  if (auto stopped = stop(); !stopped) {
    spdlog::warn("devstack: stopping pid {} failed: {}", pid_, stopped.error().message);
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : spec_(std::move(other.spec_)),
      pid_(std::exchange(other.pid_, -1)),
      detached_(other.detached_),
      exit_description_(std::move(other.exit_description_)),
      exited_ok_(other.exited_ok_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !detached_) (void)stop();
    spec_ = std::move(other.spec_);
    pid_ = std::exchange(other.pid_, -1);
    detached_ = other.detached_;
    exit_description_ = std::move(other.exit_description_);
    exited_ok_ = other.exited_ok_;
  }
  return *this;
}

void ChildProcess::reap_if_exited(bool block) {
  if (pid_ <= 0 || exit_description_) return;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_description_ = describe_status(status);
    exited_ok_ = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  } else if (r < 0 && errno == ECHILD && !pid_alive(pid_)) {
    // Not our child (e.g. inherited across exec); it is gone all the same.
    exit_description_ = "exited";
  }
}

bool ChildProcess::running() {
  reap_if_exited(false);
  return pid_ > 0 && !exit_description_;
}

Result<void> ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return {};
  if (!exit_description_) {
    // Ask nicely, then wait for the exit without reaping (WNOWAIT) so the
    // process group id stays ours until the stragglers are killed too.
    kill(pid_, spec_.stop_signal);
    auto exited = [this] {
      siginfo_t info{};
      int r = waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT);
      if (r < 0) return !pid_alive(pid_);
      return info.si_pid == pid_;
    };
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!exited() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPollInterval);
    }
    if (!exited()) {
      spdlog::warn("devstack: {} (pid {}) ignored signal {} for {} ms; killing it",
                   spec_.argv.front(), pid_, spec_.stop_signal, grace.count());
    }
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    reap_if_exited(true);
  }
  if (!spec_.pid_file.empty()) {
    std::error_code ignored;
    std::filesystem::remove(spec_.pid_file, ignored);
  }
  return {};
}

bool pid_alive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return true;
  char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}

std::string pid_program(pid_t pid) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return ec ? std::string() : exe.string();
}

bool pid_runs_program(pid_t pid, const std::string& program) {
  if (!pid_alive(pid)) return false;
  std::error_code ec;
  auto expected = std::filesystem::weakly_canonical(program, ec);
  if (ec) expected = program;
  const std::string actual = pid_program(pid);
  // A binary replaced by a package upgrade shows as "<path> (deleted)".
  return actual == expected.string() || actual == expected.string() + " (deleted)";
}

Result<void> stop_pid(pid_t pid, int signal, std::chrono::milliseconds grace) {
  if (!pid_alive(pid)) return {};
  auto gone = [pid] {
    int status = 0;
    waitpid(pid, &status, WNOHANG);  // reaps it if it happens to be our child
    return !pid_alive(pid);
  };
  auto wait_gone = [&](std::chrono::milliseconds bound) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (!gone() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPollInterval);
    }
    return gone();
  };
  const bool leads_group = getpgid(pid) == pid;
  if (kill(pid, signal) != 0 && errno != ESRCH) {
    return make_error(Errc::kIo, "kill(" + std::to_string(pid) + "): " + errno_text(errno));
  }
  if (!wait_gone(grace)) {
    spdlog::warn("devstack: pid {} ignored signal {} for {} ms; killing it", pid, signal,
                 grace.count());
  }
  if (leads_group) kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  if (!wait_gone(kKillWait)) {
    return make_error(Errc::kTimeout, "pid " + std::to_string(pid) + " still runs after SIGKILL");
  }
  return {};
}

std::string log_tail(const std::filesystem::path& file, int max_lines) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "(no log at " + file.string() + ")";
  constexpr std::streamoff kMaxBytes = 64 * 1024;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(size > kMaxBytes ? size - kMaxBytes : 0);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (int lines = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++lines == max_lines) break;
  }
  return text.substr(pos);
}

}  // namespace aether::devstack
