// ChildProcess and helpers with ordinary programs (sh, sleep): no servers.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "aether/devstack/net.hpp"
#include "aether/devstack/process.hpp"
#include "aether/devstack/state_dir.hpp"

using namespace aether::devstack;

namespace {

StateDir temp_dir() {
  auto dir = StateDir::open("", "aether-process-test");
  REQUIRE(dir.has_value());
  return std::move(*dir);
}

ProcessSpec shell(const StateDir& dir, const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.log_file = dir.path() / "out.log";
  spec.pid_file = dir.path() / "sh.pid";
  return spec;
}

}  // namespace

TEST_CASE("ChildProcess logs output, writes a pid file and reports the exit status", "[process]") {
  auto dir = temp_dir();
  auto child = ChildProcess::spawn(shell(dir, "echo hello; echo oops >&2; exit 3"));
  REQUIRE(child.has_value());
  std::ifstream pid_file(dir.path() / "sh.pid");
  pid_t recorded = 0;
  pid_file >> recorded;
  CHECK(recorded == child->pid());
  for (int i = 0; i < 500 && child->running(); ++i) usleep(10'000);
  REQUIRE_FALSE(child->running());
  CHECK(child->exit_description() == "exited with status 3");
  CHECK_FALSE(child->exited_successfully());
  CHECK(log_tail(dir.path() / "out.log") == "hello\noops\n");
  CHECK(log_tail(dir.path() / "out.log", 1) == "oops\n");
}

TEST_CASE("ChildProcess stop kills a process that ignores the stop signal", "[process]") {
  auto dir = temp_dir();
  auto child = ChildProcess::spawn(shell(dir, "trap '' TERM; while :; do sleep 1; done"));
  REQUIRE(child.has_value());
  const pid_t pid = child->pid();
  usleep(100'000);  // let the shell install its trap
  REQUIRE(child->stop(std::chrono::milliseconds(200)).has_value());
  CHECK_FALSE(pid_alive(pid));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "sh.pid"));
}

TEST_CASE("ChildProcess destructor stops the process unless detached", "[process]") {
  auto dir = temp_dir();
  pid_t stopped = 0;
  {
    auto spec = shell(dir, "");
    spec.argv = {"/usr/bin/sleep", "30"};
    auto child = ChildProcess::spawn(spec);
    REQUIRE(child.has_value());
    stopped = child->pid();
  }
  CHECK_FALSE(pid_alive(stopped));

  pid_t kept = 0;
  {
    // spawn() returns after a successful exec, so /proc/<pid>/exe is sleep.
    auto spec = shell(dir, "");
    spec.argv = {"/usr/bin/sleep", "30"};
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
  auto dir = temp_dir();
  ProcessSpec missing;
  missing.argv = {"/nonexistent/server"};
  missing.log_file = dir.path() / "x.log";
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
}

TEST_CASE("StateDir removes temporary directories only", "[process]") {
  std::filesystem::path temp_path;
  {
    auto dir = temp_dir();
    temp_path = dir.path();
    CHECK(dir.temporary());
    CHECK(std::filesystem::is_directory(temp_path));
  }
  CHECK_FALSE(std::filesystem::exists(temp_path));

  auto parent = temp_dir();
  const auto given = parent.path() / "given" / "nested";
  {
    auto dir = StateDir::open(given.string(), "unused");
    REQUIRE(dir.has_value());
  }
  CHECK(std::filesystem::is_directory(given));
}

TEST_CASE("free_port gives usable loopback ports and check_port names the field", "[process]") {
  auto port = free_port();
  REQUIRE(port.has_value());
  CHECK(*port > 0);
  CHECK_FALSE(tcp_port_open(*port));
  auto bad = check_port(65536, "Options::port");
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message, Catch::Contains("Options::port"));
}

TEST_CASE("A spawned process dies with its parent when the parent crashes", "[process]") {
  auto dir = temp_dir();
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  const pid_t parent = fork();
  REQUIRE(parent >= 0);
  if (parent == 0) {
    // The "test process": spawns a server, then dies without running destructors.
    close(pipe_fds[0]);
    auto spec = shell(dir, "");
    spec.argv = {"/usr/bin/sleep", "30"};
    auto child = ChildProcess::spawn(spec);
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
