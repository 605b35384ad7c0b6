#include "aether/service/context.hpp"

#include <spdlog/spdlog.h>

#include "aether/service/readiness.hpp"
#include "stop_signal.hpp"
#include "urls.hpp"

namespace aether::service {

Context::Context(const Info& info, const config::EnvLookup& env, http::Registry& registry,
                 http::AdminServer* admin, const config::StringField* nats_url, StopSignal& stop)
    : info_(info),
      env_(env),
      registry_(registry),
      nats_url_(nats_url),
      stop_(stop),
      admin_(admin) {}

Context::~Context() { release_parts(); }

int Context::admin_port() const {
  std::lock_guard lock(mutex_);
  return admin_ != nullptr ? admin_->port() : 0;
}

void Context::add_readiness_check(std::string name, http::ReadinessCheck check) {
  std::lock_guard lock(mutex_);
  if (admin_ != nullptr) admin_->add_readiness_check(std::move(name), std::move(check));
}

void Context::add_readiness_info(std::string name, http::ReadinessInfo info) {
  std::lock_guard lock(mutex_);
  if (admin_ != nullptr) admin_->add_readiness_info(std::move(name), std::move(info));
}

Result<bus::Connection> Context::connect_nats() {
  if (nats_url_ == nullptr) {
    throw std::logic_error("Context::connect_nats(): call Service::nats_url() before run()");
  }
  return connect_nats(
      bus::ConnectOptions{.url = nats_url_->value(), .retry_on_failed_connect = true});
}

Result<bus::Connection> Context::connect_nats(bus::ConnectOptions options) {
  if (options.name.empty()) options.name = info_.name;
  const std::string shown = masked_urls(options.url);
  // cnats' own RetryOnFailedConnect blocks in connect until a server answers, deaf to
  // SIGTERM; this loop waits the same way but ends when the service is told to stop.
  const bool wait_for_server = options.retry_on_failed_connect;
  options.retry_on_failed_connect = false;
  for (int attempt = 1;; ++attempt) {
    auto connection = bus::Connection::connect(options);
    if (connection) {
      add_readiness_check("nats", nats_connected(*connection, options.url));
      keep(std::make_shared<bus::Connection>(*connection));
      return std::move(*connection);
    }
    const auto& e = connection.error();
    const bool retryable = e.code == bus::Errc::kNotConnected || e.code == bus::Errc::kTimeout;
    if (!wait_for_server || !retryable) return failure("NATS " + shown + ": " + e.message);
    if (attempt == 1 || attempt % 20 == 0) {
      spdlog::warn("{}: NATS {} not reachable yet ({}): retrying every {} ms", info_.name, shown,
                   e.message, options.reconnect_wait.count());
    }
    if (stop_.wait_for(static_cast<int>(options.reconnect_wait.count()))) {
      return std::unexpected(Error{.exit_code = stop_.wait().exit_code,
                                   .message = "stopped while waiting for NATS " + shown});
    }
  }
}

void Context::keep(std::shared_ptr<void> part) {
  std::lock_guard lock(mutex_);
  parts_.push_back(std::move(part));
}

void Context::request_stop(int exit_code) { stop_.request(exit_code); }

bool Context::stop_requested() const { return stop_.requested(); }

void Context::detach_admin() {
  std::lock_guard lock(mutex_);
  admin_ = nullptr;
}

void Context::release_parts() {
  std::vector<std::shared_ptr<void>> parts;
  {
    std::lock_guard lock(mutex_);
    parts.swap(parts_);
  }
  // Last kept, first released (a helper may use what was kept before it).
  while (!parts.empty()) parts.pop_back();
}

}  // namespace aether::service
