// ChildProcess::spawn: everything between fork and exec.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "aether/process/process.hpp"

namespace aether::process {
namespace {

std::unexpected<Error> make_error(Errc code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

std::string errno_text(int err) { return std::strerror(err); }

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
[[noreturn]] void exec_child(const Spec& spec, char* const* argv, int log_fd, int err_fd,
                             const std::optional<UserIds>& user, pid_t parent) {
  auto fail = [err_fd](int step, int err) { child_fail(err_fd, step, err); };
  if (setsid() < 0) fail(kStepSession, errno);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd < 0) fail(kStepRedirect, errno);
  if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) {
    fail(kStepRedirect, errno);
  }
  if (spec.close_inherited_fds) {
    if (err_fd > 3) close_range(3, err_fd - 1, 0);
    close_range(err_fd + 1, ~0U, 0);
  }
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

Result<ChildProcess> ChildProcess::spawn(Spec spec) {
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
  child.pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (!child.spec_.pid_file.empty()) {
    std::ofstream out(child.spec_.pid_file, std::ios::trunc);
    out << pid << '\n';
    if (!out) {
      return make_error(Errc::kIo, "cannot write pid file " + child.spec_.pid_file.string());
    }
  }
  return child;
}

}  // namespace aether::process
