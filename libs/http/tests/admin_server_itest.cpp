// The admin server over real HTTP on a free loopback port.
#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "aether/http/admin_server.hpp"

using namespace aether::http;
using nlohmann::json;

namespace {

AdminServerOptions loopback() { return {.host = "127.0.0.1", .port = 0}; }

}  // namespace

TEST_CASE("healthz, readyz flipping from 503 to 200, and a metrics scrape") {
  Registry reg;
  auto& requests = reg.counter_family("aether_test_requests_total", "Requests.", {"code"});
  requests.labels({"200"}).inc(7);

  AdminServer admin(loopback(), reg);
  std::atomic<bool> db_ready{false};
  admin.add_readiness_check("nats", []() -> CheckResult { return {}; });
  admin.add_readiness_check("postgres", [&]() -> CheckResult {
    if (!db_ready) return std::unexpected(std::string("connection refused"));
    return {};
  });
  auto port = admin.start();
  REQUIRE(port);
  REQUIRE(*port > 0);
  CHECK(admin.port() == *port);

  httplib::Client client("127.0.0.1", *port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);

  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok\n");

  auto not_ready = client.Get("/readyz");
  REQUIRE(not_ready);
  CHECK(not_ready->status == 503);
  json body = json::parse(not_ready->body);
  CHECK(body["status"] == "not ready");
  REQUIRE(body["failed"].size() == 1);
  CHECK(body["failed"][0]["check"] == "postgres");
  CHECK(body["failed"][0]["message"] == "connection refused");
  CHECK(body["checks"]["nats"]["ok"] == true);

  db_ready = true;
  auto ready = client.Get("/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 200);
  json ready_body = json::parse(ready->body);
  CHECK(ready_body["status"] == "ready");
  CHECK_FALSE(ready_body.contains("failed"));
  CHECK(ready_body["checks"]["postgres"]["ok"] == true);

  auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metrics->body.find("aether_test_requests_total{code=\"200\"} 7\n") != std::string::npos);
  requests.labels({"200"}).inc();
  CHECK(client.Get("/metrics")->body.find("aether_test_requests_total{code=\"200\"} 8\n") !=
        std::string::npos);

  CHECK(client.Get("/nope")->status == 404);

  admin.stop();
  admin.stop();  // idempotent
  httplib::Client after("127.0.0.1", *port);
  after.set_connection_timeout(2);
  CHECK_FALSE(after.Get("/healthz"));
}

TEST_CASE("a throwing check fails readiness instead of the server") {
  Registry reg;
  AdminServer admin(loopback(), reg);
  admin.add_readiness_check("schema", []() -> CheckResult { throw std::runtime_error("boom"); });
  auto port = admin.start();
  REQUIRE(port);
  httplib::Client client("127.0.0.1", *port);
  auto r = client.Get("/readyz");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(json::parse(r->body)["failed"][0]["message"] == "check threw: boom");
}

TEST_CASE("readyz shows info entries beside the checks, ready or not") {
  Registry reg;
  AdminServer admin(loopback(), reg);
  std::atomic<bool> leader{false};
  std::atomic<bool> ok{true};
  admin.add_readiness_check("nats", [&]() -> CheckResult {
    if (!ok) return std::unexpected(std::string("down"));
    return {};
  });
  admin.add_readiness_info("role", [&] { return std::string(leader ? "leader" : "follower"); });
  auto port = admin.start();
  REQUIRE(port);
  httplib::Client client("127.0.0.1", *port);
  auto r = client.Get("/readyz");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["info"]["role"] == "follower");
  leader = true;
  ok = false;
  r = client.Get("/readyz");
  REQUIRE(r);
  CHECK(r->status == 503);  // info never makes it ready or not
  CHECK(json::parse(r->body)["info"]["role"] == "leader");
}

TEST_CASE("a busy port is a bind error naming the address and a second start is refused") {
  Registry reg;
  AdminServer first(loopback(), reg);
  auto port = first.start();
  REQUIRE(port);
  CHECK(first.start().error().code == Errc::kAlreadyStarted);

  AdminServer second({.host = "127.0.0.1", .port = *port}, reg);
  auto clash = second.start();
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == Errc::kBindFailed);
  CHECK(clash.error().message.find("127.0.0.1:" + std::to_string(*port)) != std::string::npos);
}

TEST_CASE("start on one thread, stop from another, right away and repeatedly") {
  for (int i = 0; i < 20; ++i) {
    Registry reg;
    AdminServer admin(loopback(), reg);
    REQUIRE(admin.start());
    std::thread stopper([&] { admin.stop(); });
    stopper.join();
  }
  // Destroying a started server stops it too.
  Registry reg;
  auto admin = std::make_unique<AdminServer>(loopback(), reg);
  REQUIRE(admin->start());
  admin.reset();
  SUCCEED("destructor returned");
}
