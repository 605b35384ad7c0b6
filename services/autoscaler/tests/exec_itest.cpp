// The exec actuator runs real shell commands: the count as $1 and in the
// environment; failures and timeouts are errors with the command's output;
// through the controller, a failing command is retried with backoff (not a
// tight loop) and reported in the events.
#include "exec_actuator.hpp"

#include <fstream>

#include "autoscaler.hpp"
#include "itest_support.hpp"

using namespace aether;
using namespace aether::autoscaler;
using namespace aether::autoscaler::testing;

namespace {
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/as-exec.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("exec: the command gets the count and the drained workers, the query reads it back") {
  TempDir dir;
  const auto out = dir.path / "out";
  ExecConfig c;
  c.command =
      "echo \"$1 $AETHER_SCALE_FROM $AETHER_SCALE_TO $AETHER_SCALE_REMOVE_WORKERS "
      "$AETHER_SCALE_REMOVE_NODES\" > " +
      out.string() + "; echo \"$1\" > " + (dir.path / "count").string();
  c.query_command = "cat " + (dir.path / "count").string();
  c.log_dir = dir.path;
  ExecActuator exec(c, [] { return 0; });
  WorkerView w1;
  w1.id = "w-1";
  w1.node = "n1";
  WorkerView w2;
  w2.id = "w-2";
  w2.node = "n2";
  auto r = exec.scale({.from = 5, .to = 3, .remove = {w1, w2}});
  INFO((r ? "" : r.error().message));
  REQUIRE(r);
  CHECK(read(out) == "3 5 3 w-1,w-2 n1,n2\n");
  auto now = exec.current();
  REQUIRE(now);
  CHECK(*now == 3);
}

TEST_CASE("exec: a failing or hanging command is an error carrying its output") {
  TempDir dir;
  ExecConfig c;
  c.command = "echo 'no such autoscaling group' >&2; exit 3";
  c.log_dir = dir.path;
  ExecActuator failing(c, [] { return 2; });
  CHECK(*failing.current() == 2);  // no query: the observed workers
  auto r = failing.scale({.from = 2, .to = 3});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("exited with status 3"));
  CHECK_THAT(r.error().message, Catch::Contains("no such autoscaling group"));

  c.command = "sleep 30";
  c.timeout = 300ms;
  ExecActuator hanging(c, [] { return 0; });
  auto h = hanging.scale({.from = 0, .to = 1});
  REQUIRE_FALSE(h);
  CHECK_THAT(h.error().message, Catch::Contains("timeout"));

  c.command = "true";
  c.query_command = "echo lots";
  ExecActuator bad_query(c, [] { return 0; });
  auto q = bad_query.current();
  REQUIRE_FALSE(q);
  CHECK_THAT(q.error().message, Catch::Contains("'lots', not a worker count"));
}

TEST_CASE("exec: the controller retries a failing actuator with backoff and reports it") {
  TempDir dir;
  auto b = Bus::start();
  DecisionRecorder decisions(b.connection);
  AutoscalerConfig cfg;
  cfg.id = "as-exec";
  cfg.policy = {.min_workers = 2,
                .max_workers = 4,
                .headroom = 0,
                .max_step_up = 4,
                .stabilisation = std::chrono::minutes(1),
                .scale_down = true,
                .worker_capacity = {4, 4096, 4}};
  cfg.lease.ttl = 1s;
  cfg.eval_interval = 50ms;
  cfg.retry_initial = 200ms;
  cfg.retry_max = 800ms;
  cfg.provision = std::nullopt;
  ExecConfig ec;
  ec.command = "echo 'quota exceeded' >&2; exit 1";
  ec.log_dir = dir.path;
  http::Registry registry;
  Autoscaler scaler(cfg, b.connection, std::make_unique<ExecActuator>(ec, [] { return 0; }),
                    registry);
  REQUIRE(scaler.start());
  REQUIRE(wait_for([&] { return scaler.is_leader(); }, 5s));
  std::this_thread::sleep_for(3s);
  scaler.stop();
  int failures = 0;
  for (const auto& d : decisions.all()) {
    if (d.reason().find("exec actuator failed") == std::string::npos) continue;
    ++failures;
    CHECK(d.action() == v1::SCALE_ACTION_SCALE_UP);
    CHECK_THAT(d.reason(), Catch::Contains("quota exceeded"));
    CHECK_THAT(d.reason(), Catch::Contains("retry in"));
  }
  INFO(decisions.dump());
  // Backoff 200, 400, 800, 800... ms: about 5 tries in 3 s; a loop on the
  // 50 ms timer would make 60.
  CHECK(failures >= 2);
  CHECK(failures <= 8);
  CHECK_THAT(registry.serialize(), Catch::Contains("aether_autoscaler_actuator_errors_total " +
                                                   std::to_string(failures)));
}
