// `aether-devstack up/env/status/down` run as a user would, in a temp state dir.
#include <libpq-fe.h>

#include <sys/wait.h>
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "aether/devstack/net.hpp"
#include "aether/devstack/shell.hpp"
#include "aether/devstack/state_dir.hpp"
#include "aether/process/process.hpp"

namespace {

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The test binary is built next to aether-devstack (and ctest's
// AETHER_BINARY_DIR may be unset), so look beside ourselves.
std::string binary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "aether-devstack").string();
}

Run run(const std::filesystem::path& dir, const std::string& args) {
  const auto err_file = dir / "cli-stderr.txt";
  const std::string cmd = "'" + binary() + "' " + args + " --state-dir '" + dir.string() + "' 2>'" +
                          err_file.string() + "'";
  auto ran = aether::devstack::run_command(cmd);
  Run result{ran.exit_code, std::move(ran.output), {}};
  std::ifstream err(err_file);
  std::stringstream text;
  text << err.rdbuf();
  result.err = text.str();
  return result;
}

// NAME -> value of every `export NAME='value'` line.
std::map<std::string, std::string> parse_exports(const std::string& text) {
  std::map<std::string, std::string> vars;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    REQUIRE(line.rfind("export ", 0) == 0);
    auto eq = line.find('=');
    REQUIRE(eq != std::string::npos);
    std::string value = line.substr(eq + 1);
    REQUIRE(value.size() >= 2);
    vars[line.substr(7, eq - 7)] = value.substr(1, value.size() - 2);
  }
  return vars;
}

int port_of(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

pid_t read_pid(const std::filesystem::path& file) {
  std::ifstream in(file);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// A temp state dir the postgres user can enter, and a `down` whatever happens.
struct StackDir {
  StackDir() {
    auto opened = aether::devstack::StateDir::open("", "aether-devstack-itest");
    REQUIRE(opened.has_value());
    dir = std::move(*opened);
    std::filesystem::permissions(dir.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
  }
  ~StackDir() { run(dir.path(), "down"); }
  aether::devstack::StateDir dir;
};

}  // namespace

TEST_CASE("aether-devstack up, env, status and down", "[cli]") {
  StackDir stack;
  const auto& dir = stack.dir.path();

  auto up = run(dir, "up");
  INFO("stderr: " << up.err);
  REQUIRE(up.exit_code == 0);
  auto vars = parse_exports(up.out);
  REQUIRE(vars.count("NATS_URL") == 1);
  REQUIRE(vars.count("DATABASE_URL") == 1);
  REQUIRE(vars.count("REDIS_URL") == 1);
  REQUIRE(vars.count("OTEL_EXPORTER_OTLP_ENDPOINT") == 1);
  CHECK(vars["NATS_URL"].rfind("nats://127.0.0.1:", 0) == 0);
  CHECK(vars["REDIS_URL"].rfind("redis://127.0.0.1:", 0) == 0);
  CHECK(vars["OTEL_EXPORTER_OTLP_ENDPOINT"].rfind("http://127.0.0.1:", 0) == 0);
  std::ifstream env_file(dir / "stack.env");
  std::stringstream env_text;
  env_text << env_file.rdbuf();
  CHECK(env_text.str() == up.out);

  // The servers outlive the command that started them.
  const std::map<std::string, pid_t> pids = {
      {"nats", read_pid(dir / "nats" / "nats-server.pid")},
      {"postgres", read_pid(dir / "postgres" / "postgres.pid")},
      {"redis", read_pid(dir / "redis" / "redis-server.pid")},
      {"otlp", read_pid(dir / "otlp" / "otlp-sink.pid")}};
  for (const auto& [name, pid] : pids) {
    INFO(name);
    CHECK(aether::process::pid_alive(pid));
  }
  CHECK(aether::devstack::tcp_port_open(port_of(vars["NATS_URL"])));
  CHECK(aether::devstack::tcp_port_open(port_of(vars["REDIS_URL"])));
  CHECK(aether::devstack::tcp_port_open(port_of(vars["OTEL_EXPORTER_OTLP_ENDPOINT"])));
  {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(vars["DATABASE_URL"].c_str()),
                                                      &PQfinish);
    INFO(PQerrorMessage(conn.get()));
    CHECK(PQstatus(conn.get()) == CONNECTION_OK);
  }

  auto again = run(dir, "up");
  CHECK(again.exit_code == 0);
  CHECK(again.out == up.out);
  CHECK_THAT(again.err, Catch::Contains("already runs"));
  CHECK(read_pid(dir / "nats" / "nats-server.pid") == pids.at("nats"));

  auto env = run(dir, "env");
  CHECK(env.exit_code == 0);
  CHECK(env.out == up.out);

  auto status = run(dir, "status");
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.out, Catch::Contains("postgres") && Catch::Contains("running"));

  auto down = run(dir, "down");
  INFO("stderr: " << down.err);
  REQUIRE(down.exit_code == 0);
  for (const auto& [name, pid] : pids) {
    INFO(name);
    CHECK_FALSE(aether::process::pid_alive(pid));
  }
  CHECK_FALSE(std::filesystem::exists(dir / "stack.env"));
  auto env_after = run(dir, "env");
  CHECK(env_after.exit_code != 0);
  CHECK_THAT(env_after.err, Catch::Contains("no stack is up"));
}

TEST_CASE("aether-devstack up --only starts just those and keeps ports across down/up", "[cli]") {
  StackDir stack;
  const auto& dir = stack.dir.path();
  auto up = run(dir, "up --only nats,redis");
  INFO("stderr: " << up.err);
  REQUIRE(up.exit_code == 0);
  auto vars = parse_exports(up.out);
  CHECK(vars.size() == 2);
  CHECK(vars.count("DATABASE_URL") == 0);
  REQUIRE(run(dir, "down").exit_code == 0);
  CHECK_FALSE(aether::devstack::tcp_port_open(port_of(vars["NATS_URL"])));

  auto up_again = run(dir, "up --only nats");
  REQUIRE(up_again.exit_code == 0);
  auto vars_again = parse_exports(up_again.out);
  CHECK(vars_again["NATS_URL"] == vars["NATS_URL"]);
}

// One SQL statement's first value ("" on no row); fails the test on an error.
std::string sql(const std::string& url, const std::string& statement) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  INFO(PQerrorMessage(conn.get()));
  REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), statement.c_str()),
                                                    &PQclear);
  INFO(statement << ": " << PQerrorMessage(conn.get()));
  const auto status = PQresultStatus(res.get());
  REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
  return PQntuples(res.get()) > 0 ? PQgetvalue(res.get(), 0, 0) : "";
}

std::string redis_cli(const std::string& url, const std::string& args) {
  auto ran =
      aether::devstack::run_command("redis-cli -p " + std::to_string(port_of(url)) + " " + args);
  REQUIRE(ran.exit_code == 0);
  return ran.output;
}

TEST_CASE("aether-devstack down --only / up --only stop and start one server in place", "[cli]") {
  StackDir stack;
  const auto& dir = stack.dir.path();
  auto up = run(dir, "up --only postgres,redis");
  INFO("stderr: " << up.err);
  REQUIRE(up.exit_code == 0);
  auto vars = parse_exports(up.out);
  sql(vars["DATABASE_URL"], "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('pg-data')");
  CHECK_THAT(redis_cli(vars["REDIS_URL"], "SET kept redis-data"), Catch::Contains("OK"));

  for (const std::string name : {"redis", "postgres"}) {
    INFO(name);
    const std::string url = vars[name == "redis" ? "REDIS_URL" : "DATABASE_URL"];
    const std::string other = vars[name == "redis" ? "DATABASE_URL" : "REDIS_URL"];
    auto down = run(dir, "down --only " + name);
    INFO("stderr: " << down.err);
    REQUIRE(down.exit_code == 0);
    CHECK_FALSE(aether::devstack::tcp_port_open(port_of(url)));
    CHECK(aether::devstack::tcp_port_open(port_of(other)));  // the other one runs on
    auto status = run(dir, "status");
    CHECK(status.exit_code == 1);
    CHECK_THAT(status.out, Catch::Contains(name) && Catch::Contains("down"));
    auto back = run(dir, "up --only " + name);
    INFO("stderr: " << back.err);
    REQUIRE(back.exit_code == 0);
    CHECK(parse_exports(back.out) == vars);  // same ports
  }
  CHECK(sql(vars["DATABASE_URL"], "SELECT v FROM kept") == "pg-data");
  CHECK_THAT(redis_cli(vars["REDIS_URL"], "GET kept"), Catch::Contains("redis-data"));
  CHECK(run(dir, "down --only mysql").exit_code != 0);
}

TEST_CASE("aether-devstack rejects an unknown service by name", "[cli]") {
  StackDir stack;
  auto up = run(stack.dir.path(), "up --only nats,mysql");
  CHECK(up.exit_code != 0);
  CHECK_THAT(up.err, Catch::Contains("--only") && Catch::Contains("mysql"));
}

// The pid `status` shows for one service ("nats-1    running  pid 123  url").
pid_t status_pid(const std::filesystem::path& dir, const std::string& name) {
  std::istringstream lines(run(dir, "status").out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string n, state, pid_word;
    pid_t pid = 0;
    if (words >> n >> state >> pid_word >> pid && n == name) return pid;
  }
  return 0;
}

TEST_CASE("aether-devstack up --nats-nodes 3: a killed node starts again in place", "[cli]") {
  StackDir stack;
  const auto& dir = stack.dir.path();
  auto up = run(dir, "up --only nats --nats-nodes 3");
  INFO("stderr: " << up.err);
  REQUIRE(up.exit_code == 0);
  auto vars = parse_exports(up.out);
  REQUIRE(vars.size() == 1);
  const auto urls = vars["NATS_URL"];
  CHECK(std::count(urls.begin(), urls.end(), ',') == 2);
  std::map<std::string, pid_t> pids;
  for (const std::string name : {"nats-0", "nats-1", "nats-2"}) {
    pids[name] = status_pid(dir, name);
    INFO(name);
    CHECK(aether::process::pid_alive(pids[name]));
  }
  // A crash of node 1, as the e2e target's nats-kill-node does it.
  REQUIRE(kill(pids["nats-1"], SIGKILL) == 0);
  for (int i = 0; i < 50 && aether::process::pid_alive(pids["nats-1"]); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(run(dir, "status").exit_code == 1);
  auto back = run(dir, "up --only nats-1");
  INFO("stderr: " << back.err);
  REQUIRE(back.exit_code == 0);
  CHECK(parse_exports(back.out)["NATS_URL"] == urls);  // same ports
  CHECK_THAT(back.err, Catch::Contains("caught up"));
  const pid_t again = status_pid(dir, "nats-1");
  CHECK(again != pids["nats-1"]);
  CHECK(aether::process::pid_alive(again));
  CHECK(status_pid(dir, "nats-0") == pids["nats-0"]);  // the others were left alone
  CHECK(run(dir, "status").exit_code == 0);

  auto single = run(dir, "up --only nats --nats-nodes 1");
  CHECK(single.exit_code != 0);
  CHECK_THAT(single.err, Catch::Contains("3-node nats cluster"));
  auto no_node = run(dir, "up --only nats-3");
  CHECK(no_node.exit_code != 0);
  CHECK_THAT(no_node.err, Catch::Contains("nats-3") && Catch::Contains("3 nodes"));
  REQUIRE(run(dir, "down").exit_code == 0);
  for (const auto& [name, pid] : pids) {
    INFO(name);
    if (name != "nats-1") CHECK_FALSE(aether::process::pid_alive(pid));
  }
  CHECK_FALSE(aether::process::pid_alive(again));
}
