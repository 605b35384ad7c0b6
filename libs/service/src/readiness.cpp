#include "aether/service/readiness.hpp"

#include <spdlog/spdlog.h>

#include "aether/config/url.hpp"
#include "aether/schema/schema.hpp"
#include "aether/service/context.hpp"
#include "urls.hpp"

namespace aether::service {

std::string masked_urls(std::string_view urls) {
  std::string out;
  std::size_t start = 0;
  while (start <= urls.size()) {
    const auto end = std::min(urls.find(',', start), urls.size());
    const auto item = urls.substr(start, end - start);
    // Only a URL with credentials needs masking; mask_secret turns anything else to ***.
    if (!out.empty()) out += ",";
    out += item.find('@') == std::string_view::npos ? std::string(item) : config::mask_secret(item);
    start = end + 1;
  }
  return out;
}

http::ReadinessCheck nats_connected(bus::Connection connection, std::string url) {
  return [connection = std::move(connection), shown = masked_urls(url)]() -> http::CheckResult {
    if (!connection.connected()) return std::unexpected("not connected to " + shown);
    return {};
  };
}

SchemaWatch::SchemaWatch(std::string database_url, std::int64_t required_version,
                         std::chrono::milliseconds interval)
    : url_(std::move(database_url)),
      required_(required_version),
      interval_(interval),
      thread_([this](std::stop_token stop) { loop(stop); }) {}

SchemaWatch::~SchemaWatch() {
  thread_.request_stop();
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

http::CheckResult SchemaWatch::check() const {
  std::lock_guard lock(mutex_);
  if (ok_) return {};
  return std::unexpected(message_);
}

bool SchemaWatch::wait_checked(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return checks_ > 0; });
}

void SchemaWatch::loop(std::stop_token stop) {
  schema::ConnectOptions options;
  options.application_name = "aether-readiness";
  options.connect_timeout = std::chrono::seconds(2);
  while (!stop.stop_requested()) {
    auto checked = schema::check_schema_at_least(url_, required_, options);
    std::unique_lock lock(mutex_);
    const bool was_ok = ok_;
    if (checked) {
      ok_ = checked->ok;
      message_ = checked->message;
    } else {
      ok_ = false;
      message_ = "PostgreSQL " + schema::mask_url(url_) + ": " + checked.error().message;
    }
    if (ok_ != was_ok || checks_ == 0) {
      if (ok_) {
        spdlog::info("schema: {}", message_);
      } else {
        spdlog::warn("schema: {}", message_);
      }
    }
    ++checks_;
    changed_.notify_all();
    changed_.wait_for(lock, stop, interval_, [] { return false; });
  }
}

void require_schema(Context& ctx, std::string database_url, std::int64_t required_version,
                    std::chrono::milliseconds interval) {
  auto watch = std::make_shared<SchemaWatch>(std::move(database_url), required_version, interval);
  ctx.add_readiness_check("schema", [watch] { return watch->check(); });
  ctx.keep(watch);
}

}  // namespace aether::service
