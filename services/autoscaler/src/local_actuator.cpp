#include "local_actuator.hpp"

#include <spdlog/spdlog.h>

#include "aether/devstack/net.hpp"

namespace aether::autoscaler {

LocalActuator::~LocalActuator() {
  for (auto& [id, child] : workers_) (void)child.stop(config_.stop_grace);
}

std::vector<std::string> LocalActuator::running() {
  std::vector<std::string> ids;
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (!it->second.running()) {
      spdlog::warn("autoscaler (local): worker {} {}", it->first, it->second.describe_exit());
      it = workers_.erase(it);
      continue;
    }
    ids.push_back(it->first);
    ++it;
  }
  return ids;
}

Result<int> LocalActuator::current() { return static_cast<int>(running().size()); }

Result<void> LocalActuator::start_one() {
  std::string id = config_.id_prefix + "-" + std::to_string(next_++);
  while (workers_.contains(id)) id = config_.id_prefix + "-" + std::to_string(next_++);
  const auto dir = config_.state_dir / id;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return fail(Errc::kActuator, "local actuator: creating " + dir.string() + ": " + ec.message());
  auto port = devstack::free_port();
  if (!port) return fail(Errc::kActuator, "local actuator: no free admin port");
  process::Spec spec;
  spec.argv = {"/usr/bin/env", "NATS_URL=" + config_.nats_url, "AETHER_WORKER_ID=" + id,
               "AETHER_STATE_DIR=" + dir.string(), "AETHER_ADMIN_PORT=" + std::to_string(*port)};
  for (const auto& e : config_.env) spec.argv.push_back(e);
  spec.argv.push_back(config_.binary.string());
  spec.log_file = config_.state_dir / (id + ".log");
  spec.stop_grace = config_.stop_grace;
  // Not tied to the spawning (controller) thread: the destructor stops the
  // workers with SIGTERM, so they drain and take their VMs down with them.
  spec.kill_with_parent = false;
  auto child = process::ChildProcess::spawn(spec);
  if (!child) {
    return fail(Errc::kActuator, "local actuator: starting " + config_.binary.string() + ": " +
                                     child.error().message);
  }
  spdlog::info("autoscaler (local): started worker {} (pid {}, log {})", id, child->pid(),
               spec.log_file.string());
  workers_.emplace(id, std::move(*child));
  return {};
}

void LocalActuator::stop_one(const std::string& id) {
  auto it = workers_.find(id);
  if (it == workers_.end()) return;
  const bool clean = it->second.stop(config_.stop_grace);
  spdlog::info("autoscaler (local): stopped worker {} ({}{})", id, it->second.describe_exit(),
               clean ? "" : ", killed after the grace");
  workers_.erase(it);
}

Result<void> LocalActuator::scale(const ScaleRequest& r) {
  for (const auto& w : r.remove) stop_one(w.id);
  auto ids = running();
  // Removals named no worker of ours (or too few): stop the newest ones.
  while (static_cast<int>(ids.size()) > r.to) {
    stop_one(ids.back());
    ids.pop_back();
  }
  for (int n = static_cast<int>(ids.size()); n < r.to; ++n) {
    if (auto s = start_one(); !s) return s;
  }
  return {};
}

}  // namespace aether::autoscaler
