// The projection of the bus into PostgreSQL: one durable JetStream pull
// consumer ("api-projector", filter aether.evt.>, deliver all) whose events
// become rows through ProjectionBatch (see event_projection.hpp for the
// idempotent SQL).
//
// Each step fetches up to batch_size events, writes them in ONE transaction
// and acks them after COMMIT: at-least-once delivery made exactly-once in
// effect by the stream-sequence guards, so a crash between COMMIT and the
// acks, a replay or a redelivery changes nothing, and a restart resumes
// where the durable consumer's ack floor is. An event that does not decode,
// or breaks the schema's rules, is logged, counted and terminated (never
// redelivered, never a stuck consumer). Worker and schema events are acked
// and counted as ignored. PostgreSQL unavailable: the batch is nak'ed (1 s)
// and retried after a backoff.
//
// Two projectors (a rolling update, AETHER_API_ROLE=all on several pods)
// share the durable consumer, so each event goes to one of them; every batch
// transaction takes pg_advisory_xact_lock(kProjectorLockKey), so their
// writes never interleave or deadlock, and the last_event_seq guards make
// the commit order irrelevant to the rows.
//
// Metrics (registry given at creation): aether_api_projected_events_total
// {kind}, aether_api_projection_skipped_total{reason}, ..._batches_total,
// aether_api_projection_lag_events (consumer's pending + unacked),
// aether_api_projection_lag_seconds (now minus the newest projected event's
// time at its commit; 0 when caught up), ..._batch_seconds.
//
// Threads: run()/step() on one thread; stats() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/bus/pull.hpp"
#include "aether/http/metrics.hpp"
#include "aether/pg/pool.hpp"

namespace aether::api {

inline constexpr std::int64_t kProjectorLockKey = 0x6165746870726f6a;  // "aethproj"

struct ProjectorOptions {
  std::string durable = "api-projector";  // AETHER_API_PROJECTOR_DURABLE
  int batch_size = 500;                   // AETHER_API_PROJECTOR_BATCH
  std::chrono::milliseconds fetch_wait{1000};
  std::chrono::milliseconds lag_interval{1000};  // how often the consumer's pending is read
  // After each COMMIT, with the ids of the VMs whose rows it wrote (the
  // in-process read cache's invalidation, role all). On the projector's thread.
  std::function<void(const std::vector<std::string>& vm_ids)> on_committed;
};

struct ProjectorStats {
  std::uint64_t projected = 0;  // events written (or found already written)
  std::uint64_t skipped = 0;    // undecodable or invalid, terminated
  std::uint64_t ignored = 0;    // not projected (worker, schema events)
  std::uint64_t batches = 0;
  std::uint64_t last_stream_seq = 0;
};

class Projector {
 public:
  // Makes sure stream AETHER_EVENTS exists (left as it is when it does) and
  // the durable consumer too, then binds to it.
  [[nodiscard]] static std::expected<std::unique_ptr<Projector>, std::string> create(
      bus::Connection& bus, pg::Pool& pool, http::Registry& metrics, ProjectorOptions options = {});

  // Until stop is requested; errors are logged and retried with backoff (0.2 s to 5 s).
  void run(std::stop_token stop);
  // One fetch-project-ack round; the number of messages settled (0: none came within `wait`).
  [[nodiscard]] std::expected<int, std::string> step(std::chrono::milliseconds wait);

  [[nodiscard]] ProjectorStats stats() const;

  struct Metrics;
  ~Projector();

 private:
  Projector(bus::Connection bus, bus::PullConsumer consumer, pg::Pool& pool,
            std::unique_ptr<Metrics> metrics, ProjectorOptions options);
  void update_lag(double newest_event_time, bool force);

  bus::Connection bus_;
  bus::PullConsumer consumer_;
  pg::Pool& pool_;
  std::unique_ptr<Metrics> metrics_;
  ProjectorOptions options_;
  std::chrono::steady_clock::time_point last_lag_check_{};
  std::atomic<std::uint64_t> projected_{0}, skipped_{0}, ignored_{0}, batches_{0}, last_seq_{0};
};

}  // namespace aether::api
