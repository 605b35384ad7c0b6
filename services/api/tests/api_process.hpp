// The real aether-api binary as a process (role all: REST edge and
// projector) over real nats-server, Redis and PostgreSQL (a fresh database
// migrated by migration-runner's embedded migrations), with the bus
// provisioned as the contract says. For tests of the process as a whole
// (/readyz, a dependency stopped under it) and of clients (aetherctl).
// The binary's path comes from the AETHER_API_BIN compile definition.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "aether/bus/bus.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/devstack/net.hpp"
#include "aether/devstack/redis.hpp"
#include "aether/devstack/shell.hpp"
#include "aether/devstack/state_dir.hpp"
#include "aether/process/process.hpp"
#include "fixture.hpp"
#include "http_client.hpp"

namespace aether::api::testing {

class ApiProcess {
 public:
  // extra_env: more NAME=value pairs for the binary; provision: the bus
  // contract the test lays out first (its class table must match
  // AETHER_VM_CLASSES when extra_env sets one).
  explicit ApiProcess(std::vector<std::string> extra_env = {},
                      const bus::ProvisionConfig& provision = {})
      : extra_env_(std::move(extra_env)) {
    auto dir = devstack::StateDir::open("", "aether-api-itest");
    REQUIRE(dir);
    state = std::move(*dir);
    auto n = devstack::NatsServer::start({});
    REQUIRE(n);
    nats = std::make_unique<devstack::NatsServer>(std::move(*n));
    auto r = devstack::Redis::start({});
    REQUIRE(r);
    redis = std::make_unique<devstack::Redis>(std::move(*r));
    database_url = fresh_database();
    auto connected = bus::Connection::connect({.url = nats->url(), .name = "api-process-itest"});
    REQUIRE(connected);
    bus = std::make_unique<bus::Connection>(*connected);
    REQUIRE(bus::provision(*bus, provision));
    auto http = devstack::free_port();
    auto admin = devstack::free_port();
    REQUIRE(http);
    REQUIRE(admin);
    http_port = *http;
    admin_port = *admin;
    start();
  }

  // NAME=value pairs every run of the binary gets (server and `tenant create`).
  [[nodiscard]] std::vector<std::string> environment() const {
    std::vector<std::string> env{"DATABASE_URL=" + database_url,
                                 "NATS_URL=" + nats->url(),
                                 "REDIS_URL=" + redis->url(),
                                 "AETHER_HTTP_ADDR=127.0.0.1",
                                 "AETHER_HTTP_PORT=" + std::to_string(http_port),
                                 "AETHER_ADMIN_ADDR=127.0.0.1",
                                 "AETHER_ADMIN_PORT=" + std::to_string(admin_port),
                                 "AETHER_PG_ACQUIRE_TIMEOUT=1s",
                                 "AETHER_API_AUTH_CACHE_TTL=1s",
                                 "AETHER_LOG_FORMAT=text",
                                 "OTEL_TRACES_SAMPLER=always_off"};
    env.insert(env.end(), extra_env_.begin(), extra_env_.end());
    return env;
  }

  void start() {
    std::vector<std::string> argv{"/usr/bin/env"};
    for (auto& e : environment()) argv.push_back(e);
    argv.emplace_back(AETHER_API_BIN);
    auto p = process::ChildProcess::spawn(
        {.argv = argv, .log_file = state.path() / "aether-api.log", .stop_signal = SIGTERM});
    REQUIRE(p);
    process = std::make_unique<process::ChildProcess>(std::move(*p));
    REQUIRE(wait_ready(200));
  }

  // Polls /readyz until it answers `status` (30 s at most).
  bool wait_ready(long status) const {
    for (int i = 0; i < 300; ++i) {
      if (readyz().status == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    INFO(process::log_tail(state.path() / "aether-api.log"));
    return false;
  }

  [[nodiscard]] Reply readyz() const {
    return Client(admin_port).call("GET", "/readyz", {}, {}, {}, 5000);
  }

  // `aether-api tenant create ID [flags]`: the key it prints on stdout.
  std::string tenant_key(const std::string& id, const std::string& flags = {}) const {
    std::string cmd = "env";
    for (auto& e : environment()) cmd += " '" + e + "'";
    cmd +=
        std::string(" ") + AETHER_API_BIN + " tenant create " + id + " " + flags + " 2>/dev/null";
    auto r = devstack::run_command(cmd);
    REQUIRE(r.exit_code == 0);
    auto key = r.output;
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    REQUIRE(key.rfind("ak_", 0) == 0);
    return key;
  }

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port); }
  [[nodiscard]] Client client() const { return Client(http_port); }

  devstack::StateDir state;
  std::unique_ptr<devstack::NatsServer> nats;
  std::unique_ptr<devstack::Redis> redis;
  std::string database_url;
  std::unique_ptr<bus::Connection> bus;
  int http_port = 0;
  int admin_port = 0;
  std::unique_ptr<process::ChildProcess> process;

 private:
  std::vector<std::string> extra_env_;
};

}  // namespace aether::api::testing
