// The start-up against a real nats-server (libs/devstack): in-process with
// TestRun, and the example service as a real process stopped by SIGTERM.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "aether/bus/connection.hpp"
#include "aether/bus/serve.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/devstack/net.hpp"
#include "aether/devstack/shell.hpp"
#include "aether/process/process.hpp"
#include "aether/service/context.hpp"
#include "aether/service/service.hpp"
#include "aether/service/test_run.hpp"

using namespace aether;
using namespace std::chrono_literals;

namespace {

std::pair<int, std::string> admin_get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  auto res = client.Get(path);
  if (!res) return {0, ""};
  return {res->status, res->body};
}

// Polls /readyz (bounded) until it answers `status`; the last body.
std::pair<bool, std::string> wait_readyz(int port, int status,
                                         std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string body;
  while (std::chrono::steady_clock::now() < deadline) {
    auto [got, text] = admin_get(port, "/readyz");
    body = text;
    if (got == status) return {true, body};
    std::this_thread::sleep_for(100ms);
  }
  return {false, body};
}

std::string greet(const std::string& url, const std::string& subject, const std::string& who) {
  auto client = bus::Connection::connect({.url = url, .name = "itest-client"});
  REQUIRE(client);
  auto reply = client->request_raw(subject, who, {}, 5s);
  REQUIRE(reply);
  return reply->data;
}

service::StartFn greeter(const std::string& subject) {
  return [subject](service::Context& ctx) -> service::Result<service::Running> {
    auto bus = ctx.connect_nats();
    if (!bus) return std::unexpected(bus.error());
    auto sub = bus::serve_raw(
        *bus, subject, {},
        [](std::string_view p, const bus::RequestContext&) -> bus::Result<std::string> {
          return "hi " + std::string(p);
        });
    if (!sub) return service::failure(sub.error().message);
    auto served = std::make_shared<bus::Subscription>(std::move(*sub));
    return service::Running{[served] { served->stop(); }};
  };
}

service::Info info() {
  return {.program = "aether-itest-svc", .version = "0.0.1", .name = "itest-svc"};
}

}  // namespace

TEST_CASE("a service connects to NATS, reports it in /readyz, and follows the server") {
  auto nats = devstack::NatsServer::start();
  REQUIRE(nats);
  http::Registry registry;
  service::Service svc(info(), registry);
  svc.nats_url();
  service::TestRun run(svc, {}, {{"NATS_URL", nats->url()}}, greeter("itest.greet"));
  REQUIRE(run.wait_started());
  CHECK(wait_readyz(run.admin_port(), 200).first);
  CHECK(greet(nats->url(), "itest.greet", "ann") == "hi ann");

  REQUIRE(nats->stop());
  auto [down, body] = wait_readyz(run.admin_port(), 503);
  CHECK(down);
  CHECK_THAT(body, Catch::Contains("\"nats\""));
  CHECK_THAT(body, Catch::Contains("not connected to " + nats->url()));

  REQUIRE(nats->restart());
  CHECK(wait_readyz(run.admin_port(), 200).first);
  CHECK(greet(nats->url(), "itest.greet", "bob") == "hi bob");

  run.signal(SIGTERM);
  CHECK(run.wait() == service::kExitOk);
}

TEST_CASE("start waits for NATS: healthy but starting, then ready when the server comes") {
  auto port = devstack::free_port();
  REQUIRE(port);
  const std::string url = "nats://127.0.0.1:" + std::to_string(*port);
  http::Registry registry;
  service::Service svc(info(), registry);
  svc.nats_url();
  service::TestRun run(svc, {}, {{"NATS_URL", url}}, greeter("itest.late"));
  REQUIRE(run.wait_admin());
  CHECK_FALSE(run.wait_started(1s));
  CHECK(admin_get(run.admin_port(), "/healthz").first == 200);
  auto [status, body] = admin_get(run.admin_port(), "/readyz");
  CHECK(status == 503);
  CHECK_THAT(body, Catch::Contains("starting"));

  auto nats = devstack::NatsServer::start({.port = *port});
  REQUIRE(nats);
  REQUIRE(run.wait_started());
  CHECK(wait_readyz(run.admin_port(), 200).first);
  CHECK(greet(url, "itest.late", "cy") == "hi cy");
  run.request_stop();
  CHECK(run.wait() == service::kExitOk);
}

TEST_CASE("SIGTERM while waiting for NATS ends the run with exit 0") {
  auto port = devstack::free_port();
  REQUIRE(port);
  http::Registry registry;
  service::Service svc(info(), registry);
  svc.nats_url();
  bool connected = false;
  service::TestRun run(svc, {}, {{"NATS_URL", "nats://127.0.0.1:" + std::to_string(*port)}},
                       [&](service::Context& ctx) -> service::Result<service::Running> {
                         auto bus = ctx.connect_nats();
                         if (!bus) return std::unexpected(bus.error());
                         connected = true;
                         return service::Running{};
                       });
  REQUIRE(run.wait_admin());
  CHECK_FALSE(run.wait_started(1s));
  run.signal(SIGTERM);
  CHECK(run.wait() == service::kExitOk);
  CHECK_FALSE(connected);
  bool said = false;
  for (const auto& l : run.log_lines()) said |= l.find("stopped while waiting for NATS") != l.npos;
  CHECK(said);
}

TEST_CASE("the example service as a process: serves, then stops in order on SIGTERM") {
  auto nats = devstack::NatsServer::start();
  REQUIRE(nats);
  auto admin_port = devstack::free_port();
  REQUIRE(admin_port);
  const auto dir =
      std::filesystem::temp_directory_path() / ("service_itest." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto log = dir / "example.log";
  auto child = process::ChildProcess::spawn(
      {.argv = {"/usr/bin/env", "NATS_URL=" + nats->url(),
                "AETHER_ADMIN_PORT=" + std::to_string(*admin_port), "AETHER_ADMIN_ADDR=127.0.0.1",
                "AETHER_LOG_FORMAT=text", "AETHER_EXAMPLE_GREETING=good day",
                AETHER_SERVICE_EXAMPLE_BIN},
       .log_file = log});
  REQUIRE(child);
  CHECK(wait_readyz(*admin_port, 200).first);
  CHECK(greet(nats->url(), "aether.example.greet", "dee") == "good day, dee");

  // A process-directed SIGTERM: any thread could receive it, so this also checks
  // that every thread (cnats, exporter, admin pool) was started with it blocked.
  CHECK(child->stop(10s));
  CHECK(child->exited_successfully());
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  const std::string out = text.str();
  const auto stopping = out.find("SIGTERM: stopping");
  const auto unsubscribing = out.find("unsubscribing");
  const auto stopped = out.find("service-example: stopped");
  CHECK(stopping != std::string::npos);
  CHECK(unsubscribing != std::string::npos);
  CHECK(stopped != std::string::npos);
  CHECK(stopping < unsubscribing);
  CHECK(unsubscribing < stopped);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the example service's --check-config names a bad NATS_URL, exit 3") {
  auto r = devstack::run_command(std::string("NATS_URL=nats//oops ") + AETHER_SERVICE_EXAMPLE_BIN +
                                 " --check-config 2>&1");
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("NATS_URL"));
}
