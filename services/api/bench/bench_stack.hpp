// What the api's benchmarks share: devstack PostgreSQL with the schema
// (migration-runner's embedded migrations) and a nats-server with the bus
// provisioned (streams, consumers, KV buckets as the bus contract says).
//
//   auto stack = bench::BenchStack::start();   // Result: error text names the part
//   stack->postgres.url(), *stack->bus
#pragma once

#include <expected>
#include <optional>
#include <string>

#include "aether/bus/bus.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/devstack/postgres.hpp"
#include "migration.hpp"
#include "runner.hpp"

namespace aether::api::bench {

struct BenchStack {
  devstack::Postgres postgres;
  devstack::NatsServer nats;
  std::optional<bus::Connection> bus;

  // `send_asap`: the bus connection's option (false batches publishes).
  static std::expected<BenchStack, std::string> start(const std::string& name,
                                                      bool send_asap = true) {
    auto pg = devstack::Postgres::start({});
    if (!pg) return std::unexpected("PostgreSQL: " + pg.error().message);
    auto nats = devstack::NatsServer::start({});
    if (!nats) return std::unexpected("nats-server: " + nats.error().message);
    auto migrations = migrate::load_embedded_migrations();
    if (!migrations) return std::unexpected("migrations: " + migrations.error().message);
    migrate::RunnerOptions ro;
    ro.database_url = pg->url();
    ro.applied_by = ro.application_name = name;
    migrate::Runner runner(ro, std::move(*migrations), nullptr);
    if (auto up = runner.up(); !up) return std::unexpected("migrations: " + up.error().message);
    BenchStack stack{std::move(*pg), std::move(*nats), std::nullopt};
    auto bus =
        bus::Connection::connect({.url = stack.nats.url(), .name = name, .send_asap = send_asap});
    if (!bus) return std::unexpected("NATS: " + bus.error().message);
    if (auto p = bus::provision(*bus); !p)
      return std::unexpected("provision: " + p.error().message);
    stack.bus.emplace(std::move(*bus));
    return stack;
  }
};

}  // namespace aether::api::bench
