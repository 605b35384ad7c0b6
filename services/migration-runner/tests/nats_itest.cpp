// The event on a real nats-server: published once per applied change, with
// Nats-Msg-Id and trace context; NATS down means a distinct exit code, not a
// failed migration.
#include <nats/nats.h>

#include <sstream>

#include "aether/bus/connection.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/trace/trace.hpp"
#include "cli.hpp"
#include "fixture.hpp"
#include "nats_event_publisher.hpp"

using namespace aether::migrate;
using namespace aether::migrate::testing;

namespace {

struct Nats {
  aether::devstack::NatsServer server;
  aether::bus::Connection connection;
};

Nats start_nats() {
  auto server = aether::devstack::NatsServer::start({});
  if (!server) FAIL("nats-server did not start: " << server.error().message);
  auto conn = aether::bus::Connection::connect({.url = server->url(), .name = "itest"});
  if (!conn) FAIL("connect: " << conn.error().message);
  auto provisioned = aether::bus::provision(*conn);
  if (!provisioned) FAIL("provision: " << provisioned.error().message);
  return Nats{std::move(*server), std::move(*conn)};
}

int run_up(const std::string& nats_url, const std::string& publish_timeout, std::string* err) {
  std::ostringstream out, errs;
  auto env = aether::config::map_env({{"DATABASE_URL", server().url()},
                                      {"NATS_URL", nats_url},
                                      {"AETHER_MIGRATE_PUBLISH_TIMEOUT", publish_timeout},
                                      {"AETHER_LOG_FORMAT", "text"},
                                      {"HOSTNAME", "nats-itest"}});
  auto factory = [](const Config& c) -> std::unique_ptr<EventPublisher> {
    return std::make_unique<NatsEventPublisher>(
        NatsPublisherOptions{c.nats_url, c.publish_timeout});
  };
  int code = run_cli({"up"}, env, CliIo{out, errs}, factory);
  if (err != nullptr) *err = errs.str();
  return code;
}

// The last aether.evt.schema.migrated in AETHER_EVENTS, or null.
natsMsg* last_event(aether::bus::Connection& conn) {
  natsMsg* msg = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&msg, conn.jetstream(), "AETHER_EVENTS", kSchemaMigratedSubject,
                               nullptr, &jerr);
  return s == NATS_OK ? msg : nullptr;
}

std::uint64_t events_in_stream(aether::bus::Connection& conn) {
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  REQUIRE(js_GetStreamInfo(&info, conn.jetstream(), "AETHER_EVENTS", nullptr, &jerr) == NATS_OK);
  std::uint64_t n = info->State.Msgs;
  jsStreamInfo_Destroy(info);
  return n;
}

std::string header(natsMsg* msg, const char* name) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, name, &value) != NATS_OK || value == nullptr) return "";
  return value;
}

}  // namespace

TEST_CASE("up publishes aether.evt.schema.migrated once, with msg id and trace context") {
  auto nats = start_nats();
  std::string err;
  REQUIRE(run_up(nats.server.url(), "10s", &err) == 0);
  INFO(err);

  natsMsg* msg = last_event(nats.connection);
  REQUIRE(msg != nullptr);
  aether::v1::SchemaMigrated event;
  REQUIRE(event.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)));
  const auto migrations = embedded();
  CHECK(event.from_version() == 0);
  CHECK(event.to_version() == migrations.back().version);
  REQUIRE(event.applied_size() == static_cast<int>(migrations.size()));
  for (int i = 0; i < event.applied_size(); ++i) {
    CHECK(event.applied(i).version() == migrations[i].version);
    CHECK(event.applied(i).sha256() == migrations[i].checksum);
  }
  CHECK(event.applied_by() == "nats-itest");
  auto ctx = aether::trace::parse_traceparent(event.traceparent());
  REQUIRE(ctx);
  // The message's own trace header continues the same trace as the payload's.
  auto header_ctx = aether::trace::parse_traceparent(header(msg, "traceparent"));
  REQUIRE(header_ctx);
  CHECK(header_ctx->trace_id_hex() == ctx->trace_id_hex());
  CHECK(header(msg, "Nats-Msg-Id").starts_with("schema-0-" + std::to_string(event.to_version())));
  natsMsg_Destroy(msg);
  CHECK(events_in_stream(nats.connection) == 1);

  // Nothing to do: nothing published.
  REQUIRE(run_up(nats.server.url(), "10s", nullptr) == 0);
  CHECK(events_in_stream(nats.connection) == 1);
}

TEST_CASE("up on a bare nats-server creates AETHER_EVENTS and publishes the event") {
  auto server = aether::devstack::NatsServer::start({});
  if (!server) FAIL("nats-server did not start: " << server.error().message);
  auto conn = aether::bus::Connection::connect({.url = server->url(), .name = "itest"});
  REQUIRE(conn);
  std::string err;
  REQUIRE(run_up(server->url(), "10s", &err) == 0);
  INFO(err);
  CHECK(events_in_stream(*conn) == 1);
}

TEST_CASE("NATS down: the schema is applied, the event is logged, the exit code says so") {
  std::string err;
  int code = run_up("nats://127.0.0.1:1", "1s", &err);
  CHECK(code == 11);
  CHECK(err.find("aether.evt.schema.migrated was not published") != std::string::npos);
  CHECK(query_value(server().url(), "SELECT max(version) FROM schema_migrations") ==
        std::to_string(embedded().back().version));
  // The next run has nothing to do and succeeds.
  CHECK(run_up("nats://127.0.0.1:1", "1s", nullptr) == 0);
}
