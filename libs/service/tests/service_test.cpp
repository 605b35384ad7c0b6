// The start-up in-process: command line, configuration errors, start() results,
// signals and the order of shutdown. No servers (NATS is in service_itest).
#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <mutex>
#include <sstream>
#include <thread>

#include "aether/service/context.hpp"
#include "aether/service/readiness.hpp"
#include "aether/service/service.hpp"
#include "aether/service/test_run.hpp"

using namespace aether;
using service::Context;
using service::Result;
using service::Running;

namespace {

service::Info test_info(int admin_port = 0) {
  return {.program = "aether-test-svc",
          .description = "a service for tests",
          .version = "1.2.3",
          .name = "test-svc",
          .admin_port = admin_port};
}

struct Captured {
  std::ostringstream out, err;
  std::shared_ptr<log::CaptureSink> sink = std::make_shared<log::CaptureSink>();
  service::Invocation invocation(std::vector<std::string> args,
                                 std::map<std::string, std::string> env = {}) {
    env.try_emplace("AETHER_ADMIN_ADDR", "127.0.0.1");
    env.try_emplace("AETHER_ADMIN_PORT", "0");
    auto inv = service::Invocation::with_env(std::move(args), std::move(env));
    inv.out = &out;
    inv.err = &err;
    inv.log_sink = sink;
    return inv;
  }
  bool logged(const std::string& text) const {
    for (const auto& l : sink->lines())
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
};

// GET on the admin server; status 0 when nothing answers.
std::pair<int, std::string> admin_get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  auto res = client.Get(path);
  if (!res) return {0, ""};
  return {res->status, res->body};
}

// Records what happened in which order, from any thread.
struct Journal {
  std::mutex mutex;
  std::vector<std::string> events;
  void add(std::string e) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(e));
  }
  std::vector<std::string> get() {
    std::lock_guard lock(mutex);
    return events;
  }
};

// A part whose destruction is recorded, with whether the admin server still answered.
struct Part {
  Journal& journal;
  int port;
  std::string name;
  ~Part() {
    const bool admin_up = admin_get(port, "/healthz").first == 200;
    journal.add(name + " destroyed, admin " + (admin_up ? "up" : "down"));
  }
};

}  // namespace

TEST_CASE("help lists the shared and the service's variables without starting") {
  http::Registry registry;
  service::Service svc(test_info(), registry);
  (void)svc.spec().string("AETHER_TEST_GREETING", "hi", "what to say");
  Captured io;
  bool started = false;
  const int code = svc.run(io.invocation({"--help"}), [&](Context&) -> Result<Running> {
    started = true;
    return Running{};
  });
  CHECK(code == service::kExitOk);
  CHECK_FALSE(started);
  for (const char* name : {"AETHER_LOG_FORMAT", "AETHER_LOG_LEVEL", "AETHER_ADMIN_ADDR",
                           "AETHER_ADMIN_PORT", "AETHER_TEST_GREETING"}) {
    CHECK_THAT(io.out.str(), Catch::Contains(name));
  }
}

TEST_CASE("version prints the program and version") {
  http::Registry registry;
  service::Service svc(test_info(), registry);
  Captured io;
  CHECK(svc.run(io.invocation({"--version"}), [](Context&) { return Result<Running>{}; }) == 0);
  CHECK_THAT(io.out.str(), Catch::Contains("aether-test-svc 1.2.3"));
}

TEST_CASE("a bad variable is exit 3 with a message naming it, and nothing starts") {
  http::Registry registry;
  service::Service svc(test_info(), registry);
  (void)svc.spec().integer("AETHER_TEST_COUNT", 1, "count").range(1, 10);
  Captured io;
  bool started = false;
  const int code =
      svc.run(io.invocation({}, {{"AETHER_TEST_COUNT", "11"}, {"AETHER_LOG_FORMAT", "xml"}}),
              [&](Context&) -> Result<Running> {
                started = true;
                return Running{};
              });
  CHECK(code == service::kExitConfig);
  CHECK_FALSE(started);
  CHECK_THAT(io.err.str(), Catch::Contains("AETHER_TEST_COUNT=11: must be between 1 and 10"));
  CHECK_THAT(io.err.str(), Catch::Contains("AETHER_LOG_FORMAT=xml"));
}

TEST_CASE("check-config validates and prints the config, OTEL_* included") {
  http::Registry registry;
  service::Service svc(test_info(), registry);
  (void)svc.spec().string("AETHER_TEST_TOKEN", "", "a secret").secret();
  Captured io;
  bool started = false;
  auto start = [&](Context&) -> Result<Running> {
    started = true;
    return Running{};
  };
  SECTION("valid") {
    const int code = svc.run(
        io.invocation({"--check-config"},
                      {{"AETHER_TEST_TOKEN", "hunter2"}, {"OTEL_SERVICE_NAME", "svc-under-test"}}),
        start);
    CHECK(code == service::kExitOk);
    CHECK_THAT(io.out.str(), Catch::Contains("configuration is valid"));
    CHECK_THAT(io.out.str(), Catch::Contains("AETHER_TEST_TOKEN=***"));
    CHECK_THAT(io.out.str(), !Catch::Contains("hunter2"));
    CHECK_THAT(io.out.str(), Catch::Contains("OTEL_SERVICE_NAME=svc-under-test"));
  }
  SECTION("a bad OTEL_* value is exit 3 naming it") {
    const int code =
        svc.run(io.invocation({"--check-config"}, {{"OTEL_TRACES_SAMPLER", "sometimes"}}), start);
    CHECK(code == service::kExitConfig);
    CHECK_THAT(io.err.str(), Catch::Contains("OTEL_TRACES_SAMPLER"));
  }
  SECTION("an unread AETHER_* variable is warned about") {
    const int code =
        svc.run(io.invocation({"--check-config"}, {{"AETHER_TEST_TOKNE", "x"}}), start);
    CHECK(code == service::kExitOk);
    CHECK_THAT(io.out.str(), Catch::Contains("AETHER_TEST_TOKNE is set but"));
  }
  CHECK_FALSE(started);
}

TEST_CASE("check-config prints the service's derived values, or its error as exit 3") {
  http::Registry registry;
  service::Service svc(test_info(), registry);
  auto& count = svc.spec().integer("AETHER_TEST_COUNT", 0, "0: from the machine");
  svc.on_check_config([&]() -> std::expected<std::string, std::string> {
    if (count.value() == 7) return std::unexpected("AETHER_TEST_COUNT: 7 is unlucky");
    return "# derived: AETHER_TEST_COUNT=" +
           std::to_string(count.value() == 0 ? 4 : count.value()) + "\n";
  });
  Captured io;
  auto start = [&](Context&) -> Result<Running> { return Running{}; };
  SECTION("derived") {
    CHECK(svc.run(io.invocation({"--check-config"}), start) == service::kExitOk);
    CHECK_THAT(io.out.str(), Catch::Contains("AETHER_TEST_COUNT=0  # default"));
    CHECK_THAT(io.out.str(), Catch::Contains("# derived: AETHER_TEST_COUNT=4"));
  }
  SECTION("refused") {
    CHECK(svc.run(io.invocation({"--check-config"}, {{"AETHER_TEST_COUNT", "7"}}), start) ==
          service::kExitConfig);
    CHECK_THAT(io.err.str(), Catch::Contains("AETHER_TEST_COUNT: 7 is unlucky"));
  }
}

TEST_CASE("a bad OTEL_* value stops a normal start with exit 3") {
  http::Registry registry;
  service::Service svc(test_info(), registry);
  Captured io;
  bool started = false;
  const int code = svc.run(io.invocation({}, {{"OTEL_TRACES_SAMPLER_ARG", "lots"},
                                              {"OTEL_TRACES_SAMPLER", "traceidratio"}}),
                           [&](Context&) -> Result<Running> {
                             started = true;
                             return Running{};
                           });
  CHECK(code == service::kExitConfig);
  CHECK_FALSE(started);
  CHECK_THAT(io.err.str(), Catch::Contains("OTEL_TRACES_SAMPLER_ARG"));
}

TEST_CASE("start() errors become the exit code, with the message") {
  http::Registry registry;
  service::Service svc(test_info(), registry);
  Captured io;
  int port = 0;
  SECTION("config_error: exit 3 on stderr") {
    const int code = svc.run(io.invocation({}), [&](Context& ctx) -> Result<Running> {
      port = ctx.admin_port();
      return service::config_error("AETHER_TEMPLATES: template 'big' has no vmlinux");
    });
    CHECK(code == service::kExitConfig);
    CHECK_THAT(io.err.str(), Catch::Contains("aether-test-svc: invalid configuration: "
                                             "AETHER_TEMPLATES: template 'big' has no vmlinux"));
  }
  SECTION("failure: exit 1 in the log") {
    const int code = svc.run(io.invocation({}), [&](Context& ctx) -> Result<Running> {
      port = ctx.admin_port();
      return service::failure("runtime: qemu-system-x86_64 not found");
    });
    CHECK(code == service::kExitFailure);
    CHECK(io.logged("qemu-system-x86_64 not found"));
  }
  SECTION("an exception: exit 1 naming it") {
    const int code = svc.run(io.invocation({}), [&](Context& ctx) -> Result<Running> {
      port = ctx.admin_port();
      throw std::runtime_error("bad things");
    });
    CHECK(code == service::kExitFailure);
    CHECK(io.logged("start-up failed: bad things"));
  }
  // The admin server was up during start() and is gone afterwards.
  CHECK(port > 0);
  CHECK(admin_get(port, "/healthz").first == 0);
}

TEST_CASE(
    "a signal shuts down in order: drain while ready says stopping, then admin, parts, kept") {
  http::Registry registry;
  service::Service svc(test_info(), registry);
  Journal journal;
  int readyz_in_start = 0;
  service::TestRun run(svc, {}, {}, [&](Context& ctx) -> Result<Running> {
    readyz_in_start = admin_get(ctx.admin_port(), "/readyz").first;
    auto part = std::make_shared<Part>(journal, ctx.admin_port(), "part");
    ctx.keep(std::make_shared<Part>(journal, ctx.admin_port(), "kept"));
    ctx.add_readiness_check("part", [part]() -> http::CheckResult { return {}; });
    const int port = ctx.admin_port();
    return Running{[part, port, &journal] {
      auto [status, body] = admin_get(port, "/readyz");
      journal.add("stop, readyz " + std::to_string(status) +
                  (body.find("stopping") != std::string::npos ? " stopping" : ""));
    }};
  });
  REQUIRE(run.wait_started());
  CHECK(readyz_in_start == 503);  // "starting" until start() returned
  // wait_started() returns once the lifecycle check says running.
  CHECK(admin_get(run.admin_port(), "/readyz").first == 200);
  CHECK_THAT(admin_get(run.admin_port(), "/metrics").second,
             Catch::Contains("aether_build_info{service=\"test-svc\",version=\"1.2.3\"} 1"));
  CHECK(journal.get().empty());

  run.signal(SIGTERM);
  CHECK(run.wait() == service::kExitOk);
  CHECK(journal.get() == std::vector<std::string>{"stop, readyz 503 stopping",
                                                  "part destroyed, admin down",
                                                  "kept destroyed, admin down"});
  bool said_signal = false;
  for (const auto& l : run.log_lines()) said_signal |= l.find("SIGTERM: stopping") != l.npos;
  CHECK(said_signal);
}

TEST_CASE("SIGINT stops like SIGTERM") {
  http::Registry registry;
  service::Service svc(test_info(), registry);
  std::atomic<bool> stopped{false};
  service::TestRun run(
      svc, {}, {}, [&](Context&) -> Result<Running> { return Running{[&] { stopped = true; }}; });
  REQUIRE(run.wait_started());
  run.signal(SIGINT);
  CHECK(run.wait() == service::kExitOk);
  CHECK(stopped);
}

TEST_CASE("request_stop from inside start() runs once and returns its code (one-shot mode)") {
  http::Registry registry;
  service::Service svc(test_info(service::kNoAdmin), registry);
  Captured io;
  int stops = 0;
  int port = -1;
  const int code = svc.run(io.invocation({}), [&](Context& ctx) -> Result<Running> {
    port = ctx.admin_port();
    ctx.request_stop(7);
    CHECK(ctx.stop_requested());
    return Running{[&] { ++stops; }};
  });
  CHECK(code == 7);
  CHECK(stops == 1);
  CHECK(port == 0);  // no admin server
}

TEST_CASE("a part's thread can stop the service with a failure code") {
  http::Registry registry;
  service::Service svc(test_info(), registry);
  std::jthread watcher;
  service::TestRun run(svc, {}, {}, [&](Context& ctx) -> Result<Running> {
    watcher = std::jthread([&ctx] { ctx.request_stop(service::kExitFailure); });
    return Running{};
  });
  CHECK(run.wait() == service::kExitFailure);
}

TEST_CASE("without an admin server there are no admin variables") {
  http::Registry registry;
  service::Service svc(test_info(service::kNoAdmin), registry);
  Captured io;
  CHECK(svc.run(io.invocation({"--check-config"}), [](Context&) { return Result<Running>{}; }) ==
        0);
  CHECK_THAT(io.out.str(), !Catch::Contains("AETHER_ADMIN_PORT="));
  CHECK_THAT(io.out.str(), Catch::Contains("AETHER_ADMIN_PORT is set but"));
  CHECK_THAT(io.out.str(), Catch::Contains("AETHER_LOG_LEVEL"));
}

TEST_CASE("NATS_URL is declared once and checked") {
  http::Registry registry;
  SECTION("declared by the kit, with a URL rule") {
    service::Service svc(test_info(), registry);
    const auto& url = svc.nats_url();
    CHECK(&svc.nats_url() == &url);
    Captured io;
    const int code = svc.run(io.invocation({}, {{"NATS_URL", "nats://a:4222,http://b"}}),
                             [](Context&) { return Result<Running>{}; });
    CHECK(code == service::kExitConfig);
    CHECK_THAT(io.err.str(), Catch::Contains("NATS_URL"));
    CHECK_THAT(io.err.str(), Catch::Contains("http://b"));
  }
  SECTION("reused when the service declared it") {
    service::Service svc(test_info(), registry);
    auto& own = svc.spec().string("NATS_URL", "nats://own:4222", "the service's own");
    CHECK(&svc.nats_url() == &own);
  }
  SECTION("connect_nats() without nats_url() is a programming error") {
    service::Service svc(test_info(), registry);
    Captured io;
    const int code = svc.run(io.invocation({}), [](Context& ctx) -> Result<Running> {
      auto bus = ctx.connect_nats();
      return Running{};
    });
    CHECK(code == service::kExitFailure);
    CHECK(io.logged("nats_url()"));
  }
}

TEST_CASE("the admin port in use is a failure, exit 1") {
  http::Registry registry;
  service::Service first(test_info(), registry);
  service::TestRun run(first, {}, {}, [](Context&) { return Result<Running>{}; });
  REQUIRE(run.wait_started());
  service::Service second(test_info(), registry);
  Captured io;
  const int code =
      second.run(io.invocation({}, {{"AETHER_ADMIN_PORT", std::to_string(run.admin_port())}}),
                 [](Context&) { return Result<Running>{}; });
  CHECK(code == service::kExitFailure);
  CHECK(io.logged("admin server"));
}

TEST_CASE("SchemaWatch reports an unreachable database by name, without blocking /readyz") {
  service::SchemaWatch watch("postgresql://aether:secret@127.0.0.1:1/aether", 3,
                             std::chrono::milliseconds(50));
  REQUIRE(watch.wait_checked(std::chrono::seconds(10)));
  auto result = watch.check();
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error(), Catch::Contains("PostgreSQL"));
  CHECK_THAT(result.error(), Catch::Contains("127.0.0.1"));
  CHECK_THAT(result.error(), !Catch::Contains("secret"));
}
