// ChildProcess and helpers with ordinary programs (sh, sleep): no servers.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <thread>

#include "aether/process/process.hpp"
#include "aether/process/unique_fd.hpp"

using namespace aether::process;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/aether-process-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

Spec shell(const TempDir& dir, const std::string& script) {
  Spec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.log_file = dir.path / "out.log";
  spec.pid_file = dir.path / "sh.pid";
  return spec;
}

Spec sleeper(const TempDir& dir) {
  auto spec = shell(dir, "");
  spec.argv = {"/usr/bin/sleep", "30"};
  return spec;
}

}  // namespace

TEST_CASE("ChildProcess logs output, writes a pid file and reports the exit status", "[process]") {
  TempDir dir;
  auto child = ChildProcess::spawn(shell(dir, "echo hello; echo oops >&2; exit 3"));
  REQUIRE(child.has_value());
  std::ifstream pid_file(dir.path / "sh.pid");
  pid_t recorded = 0;
  pid_file >> recorded;
  CHECK(recorded == child->pid());
  CHECK(child->pidfd() >= 0);
  REQUIRE(child->wait_for(std::chrono::seconds(30)));
  CHECK_FALSE(child->running());
  CHECK(child->describe_exit() == "exited with status 3");
  REQUIRE(child->wait_status().has_value());
  CHECK(WEXITSTATUS(*child->wait_status()) == 3);
  CHECK_FALSE(child->exited_successfully());
  CHECK(log_tail(dir.path / "out.log") == "hello\noops\n");
  CHECK(log_tail(dir.path / "out.log", 1) == "oops\n");
  CHECK(log_tail(dir.path / "out.log", 0, 5) == "oops\n");
  CHECK(log_tail(dir.path / "missing.log").empty());
}

TEST_CASE("ChildProcess stop kills a process that ignores the stop signal", "[process]") {
  TempDir dir;
  auto child =
      ChildProcess::spawn(shell(dir, "trap '' TERM; echo trapped; while :; do sleep 1; done"));
  REQUIRE(child.has_value());
  const pid_t pid = child->pid();
  for (int i = 0; i < 500 && log_tail(dir.path / "out.log").empty(); ++i) usleep(10'000);
  CHECK_FALSE(child->stop(std::chrono::milliseconds(200)));  // ended by SIGKILL, not by itself
  CHECK_FALSE(pid_alive(pid));
  CHECK(child->describe_exit() == "killed by signal 9");
  CHECK_FALSE(std::filesystem::exists(dir.path / "sh.pid"));
}

TEST_CASE("ChildProcess stop reports a process that ends on the stop signal", "[process]") {
  TempDir dir;
  auto child = ChildProcess::spawn(sleeper(dir));
  REQUIRE(child.has_value());
  CHECK(child->stop(std::chrono::seconds(30)));
  CHECK(child->describe_exit() == "killed by signal 15");
  CHECK(child->stop(std::chrono::seconds(30)));  // idempotent
}

TEST_CASE("ChildProcess kill and signal_kill end a process at once", "[process]") {
  TempDir dir;
  auto spec = sleeper(dir);
  spec.stop_grace = std::chrono::milliseconds(0);
  auto child = ChildProcess::spawn(spec);
  REQUIRE(child.has_value());
  CHECK(child->running());
  CHECK(child->describe_exit() == "still running");
  CHECK_FALSE(child->wait_for(std::chrono::milliseconds(10)));
  // From another thread, while this one waits: the pidfd names this process only.
  std::thread killer([&child] { child->signal_kill(); });
  CHECK(child->wait_for(std::chrono::seconds(30)));
  killer.join();
  CHECK(child->describe_exit() == "killed by signal 9");

  auto second = ChildProcess::spawn(spec);
  REQUIRE(second.has_value());
  const pid_t pid = second->pid();
  second->kill();
  CHECK_FALSE(pid_alive(pid));
  CHECK(second->describe_exit() == "killed by signal 9");
}

TEST_CASE("ChildProcess destructor stops the process unless detached", "[process]") {
  TempDir dir;
  pid_t stopped = 0;
  {
    auto child = ChildProcess::spawn(sleeper(dir));
    REQUIRE(child.has_value());
    stopped = child->pid();
  }
  CHECK_FALSE(pid_alive(stopped));

  pid_t kept = 0;
  {
    // spawn() returns after a successful exec, so /proc/<pid>/exe is sleep.
    auto spec = sleeper(dir);
    spec.kill_with_parent = false;
    auto child = ChildProcess::spawn(spec);
    REQUIRE(child.has_value());
    child->detach();
    kept = child->pid();
  }
  CHECK(pid_alive(kept));
  CHECK(pid_runs_program(kept, "/usr/bin/sleep"));
  REQUIRE(stop_pid(kept, SIGTERM, std::chrono::milliseconds(2000)).has_value());
  CHECK_FALSE(pid_alive(kept));
}

TEST_CASE("ChildProcess names what could not be started", "[process]") {
  TempDir dir;
  Spec missing;
  missing.argv = {"/nonexistent/server"};
  missing.log_file = dir.path / "x.log";
  auto a = ChildProcess::spawn(missing);
  REQUIRE_FALSE(a.has_value());
  CHECK(a.error().code == Errc::kNotFound);
  CHECK_THAT(a.error().message, Catch::Contains("/nonexistent/server"));

  auto spec = shell(dir, "true");
  spec.working_dir = "/nonexistent-dir";
  auto b = ChildProcess::spawn(spec);
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().code == Errc::kSpawn);
  CHECK_THAT(b.error().message, Catch::Contains("chdir") && Catch::Contains("/nonexistent-dir"));

  auto no_user = shell(dir, "true");
  no_user.run_as_user = "no-such-user-aether";
  auto c = ChildProcess::spawn(no_user);
  REQUIRE_FALSE(c.has_value());
  CHECK_THAT(c.error().message, Catch::Contains("run_as_user"));

  auto no_log = shell(dir, "true");
  no_log.log_file.clear();
  auto d = ChildProcess::spawn(no_log);
  REQUIRE_FALSE(d.has_value());
  CHECK_THAT(d.error().message, Catch::Contains("log_file"));
}

TEST_CASE("ChildProcess closes inherited descriptors unless told to keep them", "[process]") {
  TempDir dir;
  int fds[2];
  REQUIRE(pipe(fds) == 0);  // not close-on-exec: a child would inherit it
  const std::string probe =
      "test -e /proc/self/fd/" + std::to_string(fds[1]) + " && echo open || echo closed";
  auto closed = ChildProcess::spawn(shell(dir, probe));
  REQUIRE(closed.has_value());
  REQUIRE(closed->wait_for(std::chrono::seconds(30)));
  auto spec = shell(dir, probe);
  spec.close_inherited_fds = false;
  auto kept = ChildProcess::spawn(spec);
  REQUIRE(kept.has_value());
  REQUIRE(kept->wait_for(std::chrono::seconds(30)));
  close(fds[0]);
  close(fds[1]);
  CHECK(log_tail(dir.path / "out.log") == "closed\nopen\n");
}

TEST_CASE("find_program checks paths and searches PATH, naming what it tried", "[process]") {
  auto sh = find_program({"/nonexistent/sh", "sh"});
  REQUIRE(sh.has_value());
  CHECK(access(sh->c_str(), X_OK) == 0);
  auto none = find_program({"/nonexistent/x", "no-such-program-aether"});
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == Errc::kNotFound);
  CHECK_THAT(none.error().message,
             Catch::Contains("/nonexistent/x") && Catch::Contains("no-such-program-aether"));
}

TEST_CASE("A spawned process dies with its parent when the parent crashes", "[process]") {
  TempDir dir;
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  const pid_t parent = fork();
  REQUIRE(parent >= 0);
  if (parent == 0) {
    // The "test process": spawns a server, then dies without running destructors.
    close(pipe_fds[0]);
    auto child = ChildProcess::spawn(sleeper(dir));
    pid_t pid = child ? child->pid() : -1;
    (void)!write(pipe_fds[1], &pid, sizeof pid);
    _exit(0);
  }
  close(pipe_fds[1]);
  pid_t server = -1;
  REQUIRE(read(pipe_fds[0], &server, sizeof server) == sizeof server);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(parent, &status, 0);
  REQUIRE(server > 0);
  for (int i = 0; i < 200 && pid_alive(server); ++i) usleep(10'000);
  CHECK_FALSE(pid_alive(server));
}

TEST_CASE("UniqueFd closes once: on scope exit, after a move, never after release") {
  auto is_open = [](int fd) { return ::fcntl(fd, F_GETFD) != -1; };
  int raw = -1;
  {
    UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    REQUIRE(a.ok());
    raw = a.get();
    UniqueFd b(std::move(a));
    CHECK_FALSE(a.ok());  // NOLINT(bugprone-use-after-move): moved-from is empty
    CHECK(b.get() == raw);
    CHECK(is_open(raw));
  }
  CHECK_FALSE(is_open(raw));

  UniqueFd c(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int kept = c.release();
  CHECK_FALSE(c.ok());
  c.reset();
  CHECK(is_open(kept));
  ::close(kept);

  UniqueFd d(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int first = d.get();
  d.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  CHECK(d.ok());
  CHECK(d.get() != first);  // opened before the old one was closed
  CHECK_FALSE(is_open(first));
}
