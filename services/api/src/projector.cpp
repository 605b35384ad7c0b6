#include "projector.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "aether/bus/jetstream.hpp"
#include "event_projection.hpp"

namespace aether::api {

struct Projector::Metrics {
  http::Counter& vm;
  http::Counter& node;
  http::Counter& scale;
  http::Counter& ignored;
  http::Counter& undecodable;
  http::Counter& invalid;
  http::Counter& batches;
  http::Gauge& lag_events;
  http::Gauge& lag_seconds;
  http::Histogram& batch_seconds;

  static std::unique_ptr<Metrics> create(http::Registry& r) {
    auto& projected = r.counter_family("aether_api_projected_events_total",
                                       "events projected into PostgreSQL, by kind", {"kind"});
    auto& skipped =
        r.counter_family("aether_api_projection_skipped_total",
                         "events skipped (logged and terminated), by reason", {"reason"});
    return std::unique_ptr<Metrics>(new Metrics{
        projected.labels({"vm"}), projected.labels({"node"}), projected.labels({"scale"}),
        projected.labels({"ignored"}), skipped.labels({"undecodable"}), skipped.labels({"invalid"}),
        r.counter("aether_api_projection_batches_total", "projection transactions committed"),
        r.gauge("aether_api_projection_lag_events",
                "events in AETHER_EVENTS not yet projected (pending + unacked)"),
        r.gauge("aether_api_projection_lag_seconds",
                "age of the newest projected event when committed (0 when caught up)"),
        r.histogram("aether_api_projection_batch_seconds", "time to write one batch",
                    {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5})});
  }
};

namespace {

struct ConsumerInfoDeleter {
  void operator()(jsConsumerInfo* ci) const { jsConsumerInfo_Destroy(ci); }
};

// What a message contributed to a batch.
enum class Outcome { kAdded, kIgnored, kUndecodable, kInvalid };

Outcome add_message(ProjectionBatch& batch, const bus::JsMessage& m, std::string& why) {
  const auto seq = static_cast<std::int64_t>(m.stream_sequence());
  std::optional<std::string> problem;
  switch (classify_subject(m.subject())) {
    case EventKind::kIgnored:
      return Outcome::kIgnored;
    case EventKind::kVm: {
      auto e = m.decode_as<v1::VmEvent>();
      if (!e) {
        why = e.error().message;
        return Outcome::kUndecodable;
      }
      problem = batch.add_vm(seq, *e, m.headers().get("traceparent").value_or(""));
      break;
    }
    case EventKind::kNode: {
      auto e = m.decode_as<v1::NodeEvent>();
      if (!e) {
        why = e.error().message;
        return Outcome::kUndecodable;
      }
      problem = batch.add_node(seq, *e);
      break;
    }
    case EventKind::kScale: {
      auto e = m.decode_as<v1::ScaleDecision>();
      if (!e) {
        why = e.error().message;
        return Outcome::kUndecodable;
      }
      problem = batch.add_scale(seq, *e);
      break;
    }
  }
  if (problem) {
    why = *problem;
    return Outcome::kInvalid;
  }
  return Outcome::kAdded;
}

pg::Result<BatchCounts> write_locked(pg::Pool& pool, const ProjectionBatch& batch) {
  return pool.transaction([&](pg::Connection& c) -> pg::Result<BatchCounts> {
    const std::string lock =
        "SELECT pg_advisory_xact_lock(" + std::to_string(kProjectorLockKey) + ")";
    if (auto r = c.exec(lock.c_str()); !r) return std::unexpected(r.error());
    return batch.write(c);
  });
}

bool retryable(const pg::Error& e) {
  return e.code == pg::Errc::kUnavailable || e.code == pg::Errc::kTimeout ||
         e.code == pg::Errc::kConflict;
}

}  // namespace

std::expected<std::unique_ptr<Projector>, std::string> Projector::create(bus::Connection& bus,
                                                                         pg::Pool& pool,
                                                                         http::Registry& metrics,
                                                                         ProjectorOptions options) {
  if (options.batch_size < 1) return std::unexpected("projector batch size must be >= 1");
  if (auto s = bus::ensure_stream(bus, bus::events_stream_config(), bus::IfExists::kLeave); !s) {
    return std::unexpected("stream AETHER_EVENTS: " + s.error().message);
  }
  bus::ConsumerConfig cc;
  cc.stream = std::string(bus::kEventsStream);
  cc.durable = options.durable;
  cc.filter_subject = "aether.evt.>";
  cc.ack_wait = std::chrono::seconds(60);
  cc.max_ack_pending = std::max(options.batch_size * 2, 1000);
  if (auto c = bus::ensure_consumer(bus, cc); !c) {
    return std::unexpected("consumer " + options.durable + ": " + c.error().message);
  }
  auto consumer = bus::PullConsumer::bind(bus, cc.stream, cc.durable,
                                          {.service = "api", .operation = "project"});
  if (!consumer)
    return std::unexpected("binding " + options.durable + ": " + consumer.error().message);
  return std::unique_ptr<Projector>(
      new Projector(bus, std::move(*consumer), pool, Metrics::create(metrics), std::move(options)));
}

Projector::Projector(bus::Connection bus, bus::PullConsumer consumer, pg::Pool& pool,
                     std::unique_ptr<Metrics> metrics, ProjectorOptions options)
    : bus_(std::move(bus)),
      consumer_(std::move(consumer)),
      pool_(pool),
      metrics_(std::move(metrics)),
      options_(std::move(options)) {}

Projector::~Projector() = default;

std::expected<int, std::string> Projector::step(std::chrono::milliseconds wait) {
  auto fetched = consumer_.fetch(options_.batch_size, wait);
  if (!fetched) {
    if (fetched.error().code == bus::Errc::kTimeout) return 0;
    return std::unexpected("fetch: " + fetched.error().message);
  }
  auto& msgs = *fetched;
  if (msgs.empty()) {
    update_lag(0, false);
    return 0;
  }
  const auto started = std::chrono::steady_clock::now();
  ProjectionBatch batch;
  std::vector<bus::JsMessage*> added, settled_now;
  std::uint64_t vm = 0, node = 0, scale = 0;
  for (auto& m : msgs) {
    std::string why;
    const Outcome outcome = add_message(batch, m, why);
    switch (outcome) {
      case Outcome::kAdded:
        added.push_back(&m);
        switch (classify_subject(m.subject())) {
          case EventKind::kVm:
            ++vm;
            break;
          case EventKind::kNode:
            ++node;
            break;
          default:
            ++scale;
            break;
        }
        break;
      case Outcome::kIgnored:
        ++ignored_;
        metrics_->ignored.inc();
        (void)m.ack();
        break;
      case Outcome::kUndecodable:
      case Outcome::kInvalid: {
        const bool undecodable = outcome == Outcome::kUndecodable;
        spdlog::warn("projector: skipping {} event seq {} on {}: {}",
                     undecodable ? "undecodable" : "invalid", m.stream_sequence(), m.subject(),
                     why);
        ++skipped_;
        (undecodable ? metrics_->undecodable : metrics_->invalid).inc();
        (void)m.term();
        break;
      }
    }
  }
  if (!batch.empty()) {
    auto written = write_locked(pool_, batch);
    // Whatever was committed (the whole batch, or some of it one by one).
    if (options_.on_committed && (written || !retryable(written.error()))) {
      options_.on_committed(batch.vm_ids());
    }
    if (!written && retryable(written.error())) {
      for (auto* m : added) (void)m->nak(std::chrono::seconds(1));
      return std::unexpected("writing " + std::to_string(added.size()) +
                             " events: " + written.error().message);
    }
    if (!written) {
      // A row PostgreSQL refuses that validation did not foresee: find it by
      // writing the events one by one, skip it, keep the rest.
      spdlog::error("projector: batch of {} refused ({}); retrying one by one", added.size(),
                    written.error().message);
      for (auto* m : added) {
        ProjectionBatch one;
        std::string why;
        (void)add_message(one, *m, why);
        auto w = write_locked(pool_, one);
        if (w) {
          (void)m->ack();
        } else if (retryable(w.error())) {
          (void)m->nak(std::chrono::seconds(1));
        } else {
          spdlog::warn("projector: skipping event seq {} on {}: {}", m->stream_sequence(),
                       m->subject(), w.error().message);
          ++skipped_;
          metrics_->invalid.inc();
          (void)m->term();
        }
      }
    } else {
      for (auto* m : added) (void)m->ack();
    }
    metrics_->vm.inc(static_cast<double>(vm));
    metrics_->node.inc(static_cast<double>(node));
    metrics_->scale.inc(static_cast<double>(scale));
    projected_ += added.size();
    ++batches_;
    metrics_->batches.inc();
    metrics_->batch_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  last_seq_ = msgs.back().stream_sequence();
  update_lag(batch.newest_event_time(), true);
  return static_cast<int>(msgs.size());
}

void Projector::update_lag(double newest_event_time, bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_lag_check_ < options_.lag_interval) return;
  last_lag_check_ = now;
  jsConsumerInfo* raw_ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_GetConsumerInfo(&raw_ci, bus_.jetstream(), std::string(bus::kEventsStream).c_str(),
                         options_.durable.c_str(), nullptr, &jerr) != NATS_OK) {
    return;
  }
  std::unique_ptr<jsConsumerInfo, ConsumerInfoDeleter> ci(raw_ci);
  const auto pending = static_cast<double>(ci->NumPending + ci->NumAckPending);
  metrics_->lag_events.set(pending);
  if (pending == 0) {
    metrics_->lag_seconds.set(0);
  } else if (newest_event_time > 0) {
    const double unix_now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    metrics_->lag_seconds.set(std::max(0.0, unix_now - newest_event_time));
  }
}

void Projector::run(std::stop_token stop) {
  auto backoff = std::chrono::milliseconds(200);
  while (!stop.stop_requested()) {
    auto n = step(options_.fetch_wait);
    if (n) {
      backoff = std::chrono::milliseconds(200);
      continue;
    }
    spdlog::warn("projector: {} (retrying in {} ms)", n.error(), backoff.count());
    for (auto slept = std::chrono::milliseconds(0); slept < backoff && !stop.stop_requested();
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

ProjectorStats Projector::stats() const {
  return {projected_.load(), skipped_.load(), ignored_.load(), batches_.load(), last_seq_.load()};
}

}  // namespace aether::api
