// Runner against a real PostgreSQL: apply, no-op, concurrency, --to, events.
#include <thread>

#include "fixture.hpp"

using namespace aether::migrate;
using namespace aether::migrate::testing;

TEST_CASE("fresh database: up applies every migration, status shows them applied") {
  RecordingPublisher publisher;
  Runner runner(options_for(server().url()), embedded(), &publisher);
  const auto latest = runner.migrations().back().version;

  auto outcome = runner.up();
  REQUIRE(outcome);
  CHECK(outcome->from_version == 0);
  CHECK(outcome->to_version == latest);
  CHECK(outcome->applied.size() == runner.migrations().size());
  CHECK(outcome->published);

  auto status = runner.status();
  REQUIRE(status);
  CHECK(status->current_version == latest);
  CHECK(status->pending() == 0);
  CHECK_FALSE(status->drift());
  for (const auto& row : status->rows) {
    CHECK(row.state == MigrationState::kApplied);
    REQUIRE(row.applied);
    CHECK(row.applied->applied_by == "test-host");
    CHECK(row.applied->checksum == row.file_checksum);
  }
  // The schema is really there, including the index built outside a transaction.
  CHECK(query_value(server().url(),
                    "SELECT count(*) FROM pg_tables WHERE tablename IN "
                    "('tenants','api_keys','vms','vm_events','nodes',"
                    "'scale_decisions')") == "6");
  CHECK(query_value(server().url(),
                    "SELECT indisvalid FROM pg_index WHERE indexrelid = "
                    "'vm_events_tenant_at_idx'::regclass") == "t");

  auto events = publisher.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].from_version() == 0);
  CHECK(events[0].to_version() == latest);
  REQUIRE(events[0].applied_size() == static_cast<int>(runner.migrations().size()));
  CHECK(events[0].applied(0).sha256() == runner.migrations()[0].checksum);
  CHECK(events[0].applied_by() == "test-host");
}

TEST_CASE("a second up is a no-op and publishes nothing") {
  RecordingPublisher publisher;
  Runner runner(options_for(server().url()), embedded(), &publisher);
  REQUIRE(runner.up());
  auto history_before = query_value(server().url(),
                                    "SELECT string_agg(version || ':' || "
                                    "applied_at, ',') FROM schema_migrations");
  auto again = runner.up();
  REQUIRE(again);
  CHECK(again->applied.empty());
  CHECK(again->from_version == again->to_version);
  CHECK(publisher.events().size() == 1);
  CHECK(query_value(server().url(),
                    "SELECT string_agg(version || ':' || applied_at, ',') FROM "
                    "schema_migrations") == history_before);
}

TEST_CASE("8 runners at once apply each migration exactly once") {
  constexpr int kRunners = 8;
  RecordingPublisher publisher;
  std::vector<Result<UpOutcome>> outcomes(kRunners, make_error(Errc::kInternal, "not run"));
  // Catch assertions are not thread-safe: everything that can REQUIRE happens here.
  const auto migrations = embedded();
  const std::string url = server().url();
  std::vector<std::thread> threads;
  for (int i = 0; i < kRunners; ++i) {
    threads.emplace_back([&, i] {
      Runner runner(options_for(url, "runner-" + std::to_string(i)), migrations, &publisher);
      outcomes[i] = runner.up();
    });
  }
  for (auto& t : threads) t.join();
  std::size_t applied = 0;
  int appliers = 0;
  for (auto& o : outcomes) {
    INFO((o ? std::string("ok") : o.error().message));
    REQUIRE(o);
    applied += o->applied.size();
    appliers += o->applied.empty() ? 0 : 1;
  }
  const auto n = embedded().size();
  CHECK(applied == n);
  CHECK(appliers == 1);  // the first lock holder applies all; the rest find nothing to do
  CHECK(query_value(server().url(), "SELECT count(*) FROM schema_migrations") == std::to_string(n));
  CHECK(publisher.events().size() == 1);
}

TEST_CASE("up --to N stops there, and the next up continues") {
  Runner runner(options_for(server().url()), embedded(), nullptr);
  auto to2 = runner.up(2);
  REQUIRE(to2);
  CHECK(to2->to_version == 2);
  CHECK(to2->applied.size() == 2);
  auto status = runner.status();
  REQUIRE(status);
  CHECK(status->current_version == 2);
  CHECK(status->pending() == runner.migrations().size() - 2);
  auto plan = runner.plan();
  REQUIRE(plan);
  CHECK(plan->front()->version == 3);
  auto rest = runner.up();
  REQUIRE(rest);
  CHECK(rest->from_version == 2);
  CHECK(rest->to_version == runner.migrations().back().version);
  auto below = runner.up(1);
  REQUIRE_FALSE(below);
  CHECK(below.error().code == Errc::kBadConfig);
}

TEST_CASE("a publish failure keeps the schema and is reported, not hidden") {
  RecordingPublisher publisher;
  publisher.fail_next();
  Runner runner(options_for(server().url()), embedded(), &publisher);
  auto outcome = runner.up();
  REQUIRE(outcome);
  CHECK(outcome->to_version == runner.migrations().back().version);
  CHECK_FALSE(outcome->published);
  REQUIRE(outcome->publish_error);
  CHECK(publisher.msg_ids().front().starts_with("schema-0-"));
}
