#include "runner.hpp"

#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include "aether/trace/trace.hpp"
#include "migration.hpp"

namespace aether::migrate {

Runner::Runner(RunnerOptions options, std::vector<Migration> migrations, EventPublisher* publisher)
    : options_(std::move(options)), migrations_(std::move(migrations)), publisher_(publisher) {}

Result<MigrationDatabase> Runner::open() {
  return MigrationDatabase::connect(options_.database_url, options_.application_name,
                                    options_.connect_timeout);
}

Result<UpOutcome> Runner::up(std::optional<std::int64_t> target) {
  const auto start = std::chrono::steady_clock::now();
  trace::Span span("migration-runner up");
  auto scope = span.activate();
  span.set_attribute("aether.applied_by", options_.applied_by);
  auto db = open();
  if (!db) {
    span.set_error(db.error().message);
    return std::unexpected(db.error());
  }
  auto outcome = up_locked(*db, target, start, trace::format_traceparent(span.context()));
  if (!outcome) {
    span.set_error(outcome.error().message);
    return outcome;
  }
  span.set_attribute("aether.schema.from_version", outcome->from_version);
  span.set_attribute("aether.schema.to_version", outcome->to_version);
  span.set_attribute("aether.schema.applied", static_cast<std::int64_t>(outcome->applied.size()));
  if (outcome->migration_error) span.set_error(outcome->migration_error->message);
  return outcome;
}

Result<UpOutcome> Runner::up_locked(MigrationDatabase& db, std::optional<std::int64_t> target,
                                    std::chrono::steady_clock::time_point start,
                                    const std::string& traceparent) {
  if (auto r = db.acquire_lock(options_.lock_wait); !r) return std::unexpected(r.error());
  // Everything below runs under the lock: history read after taking it, so a
  // runner that waited sees what the previous holder applied.
  auto history = db.read_history();
  if (!history) return std::unexpected(history.error());
  // Created only when absent (an empty history may also mean "no table"):
  // the no-op path, run by every init container, stays at a few queries.
  if (history->empty()) {
    if (auto r = db.ensure_history_table(); !r) return std::unexpected(r.error());
  }
  auto report = compare(migrations_, *history);
  auto plan = plan_up(migrations_, report, target);
  if (!plan) return std::unexpected(plan.error());

  UpOutcome outcome;
  outcome.from_version = report.current_version;
  outcome.to_version = report.current_version;
  if (plan->empty()) {
    spdlog::info("schema is at version {}: nothing to apply", report.current_version);
  }
  for (const Migration* m : *plan) {
    spdlog::info("applying migration {} ({}){}", m->version, m->name,
                 m->no_transaction ? " outside a transaction" : "");
    auto applied = db.apply(*m, options_.sql_timeouts, options_.applied_by);
    if (!applied) {
      if (outcome.applied.empty()) return std::unexpected(applied.error());
      outcome.migration_error = applied.error();
      break;
    }
    spdlog::info("applied migration {} ({}) in {} ms", m->version, m->name, *applied);
    outcome.applied.push_back(AppliedNow{m->version, m->name, m->checksum, *applied});
    outcome.to_version = m->version;
  }
  if (auto r = db.release_lock(); !r) spdlog::warn("{}", r.error().message);
  if (!outcome.applied.empty()) announce(outcome, start, traceparent);
  outcome.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
  return outcome;
}

void Runner::announce(UpOutcome& outcome, std::chrono::steady_clock::time_point start,
                      const std::string& traceparent) {
  outcome.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
  auto event = make_schema_migrated_event(outcome, options_.applied_by, traceparent);
  if (publisher_ == nullptr) {
    spdlog::info("publishing disabled: {} not sent for versions {}..{}", kSchemaMigratedSubject,
                 outcome.from_version, outcome.to_version);
    return;
  }
  auto r = publisher_->publish(event, schema_migrated_msg_id(outcome));
  if (r) {
    outcome.published = true;
    return;
  }
  // Not silently lost: the payload goes to the log so it can be replayed.
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(event, &json);
  spdlog::error("{} not published ({}); event: {}", kSchemaMigratedSubject, r.error().message,
                json);
  outcome.publish_error = r.error();
}

Result<StatusReport> Runner::status() {
  auto db = open();
  if (!db) return std::unexpected(db.error());
  auto history = db->read_history();
  if (!history) return std::unexpected(history.error());
  return compare(migrations_, *history);
}

Result<StatusReport> Runner::verify() {
  auto report = status();
  if (!report) return report;
  if (report->drift()) {
    std::string msg;
    for (const auto& p : report->problems()) msg += (msg.empty() ? "" : "; ") + p;
    return make_error(Errc::kDrift, "verify failed: " + msg);
  }
  return report;
}

Result<std::vector<const Migration*>> Runner::plan(std::optional<std::int64_t> target) {
  auto report = status();
  if (!report) return std::unexpected(report.error());
  return plan_up(migrations_, *report, target);
}

aether::v1::SchemaMigrated make_schema_migrated_event(const UpOutcome& outcome,
                                                      const std::string& applied_by,
                                                      const std::string& traceparent) {
  aether::v1::SchemaMigrated event;
  event.set_from_version(outcome.from_version);
  event.set_to_version(outcome.to_version);
  for (const auto& a : outcome.applied) {
    auto* m = event.add_applied();
    m->set_version(a.version);
    m->set_name(a.name);
    m->set_sha256(a.checksum);
    m->set_duration_ms(static_cast<std::uint64_t>(a.duration_ms));
  }
  event.set_duration_ms(static_cast<std::uint64_t>(outcome.duration_ms));
  event.set_applied_by(applied_by);
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(now);
  event.mutable_at()->set_seconds(secs.count());
  event.mutable_at()->set_nanos(static_cast<std::int32_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs).count()));
  event.set_traceparent(traceparent);
  return event;
}

std::string schema_migrated_msg_id(const UpOutcome& outcome) {
  std::string sums;
  for (const auto& a : outcome.applied) sums += a.checksum;
  return "schema-" + std::to_string(outcome.from_version) + "-" +
         std::to_string(outcome.to_version) + "-" + migration_checksum(sums).substr(0, 16);
}

}  // namespace aether::migrate
