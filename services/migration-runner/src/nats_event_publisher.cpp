#include "nats_event_publisher.hpp"

#include <spdlog/spdlog.h>

#include "aether/bus/jetstream.hpp"

#include <algorithm>
#include <thread>

namespace aether::migrate {
namespace {

// The runner is often the first thing deployed (a Job, or the api's init
// container), so AETHER_EVENTS may not exist yet: create it with the
// contract's settings, but never change one an operator set up.
std::expected<void, std::string> ensure_events_stream(bus::Connection& connection) {
  auto r = bus::ensure_stream(connection, bus::events_stream_config(), bus::IfExists::kLeave);
  if (!r) return std::unexpected("ensuring stream AETHER_EVENTS: " + r.error().message);
  if (*r == bus::Provisioned::kCreated) spdlog::info("created stream AETHER_EVENTS");
  return {};
}

}  // namespace

Result<void> NatsEventPublisher::publish(const aether::v1::SchemaMigrated& event,
                                         const std::string& msg_id) {
  using namespace std::chrono;
  const auto deadline = steady_clock::now() + options_.total_timeout;
  milliseconds backoff{250};
  std::string last_error;
  for (int attempt = 1;; ++attempt) {
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    const auto budget = std::clamp(left, milliseconds(500), options_.attempt_timeout);
    if (!connection_) {
      bus::ConnectOptions connect;
      connect.url = options_.url;
      connect.name = "aether-migration-runner";
      connect.connect_timeout = budget;
      connect.jetstream_timeout = budget;
      auto conn = bus::Connection::connect(connect);
      if (!conn) {
        last_error = "connecting to NATS: " + conn.error().message;
      } else if (auto stream = ensure_events_stream(*conn); !stream) {
        last_error = stream.error();
      } else {
        connection_ = std::move(*conn);
      }
    }
    if (connection_) {
      bus::JsPublishOptions opts;
      opts.msg_id = msg_id;
      opts.timeout = budget;
      opts.span_name = "migration-runner publish aether.evt.schema.migrated";
      auto ack = connection_->js_publish(kSchemaMigratedSubject, event, opts);
      if (ack) {
        spdlog::info("published {} (stream {} seq {}{})", kSchemaMigratedSubject, ack->stream,
                     ack->sequence, ack->duplicate ? ", duplicate of an earlier attempt" : "");
        return {};
      }
      last_error = "publishing to JetStream: " + ack.error().message;
    }
    if (steady_clock::now() + backoff >= deadline) {
      return make_error(Errc::kPublishFailed,
                        last_error + " (after " + std::to_string(attempt) + " attempts in " +
                            std::to_string(options_.total_timeout.count()) + " ms)");
    }
    spdlog::warn("attempt {} to publish {} failed: {}; retrying in {} ms", attempt,
                 kSchemaMigratedSubject, last_error, backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, milliseconds(4000));
  }
}

}  // namespace aether::migrate
