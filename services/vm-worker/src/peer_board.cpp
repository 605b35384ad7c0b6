#include "peer_board.hpp"

#include <spdlog/spdlog.h>

namespace aether::worker {

PeerBoard::PeerBoard(std::string self_id, bus::VmClassTable classes,
                     std::chrono::milliseconds stale_after)
    : self_(std::move(self_id)), classes_(std::move(classes)), stale_after_(stale_after) {}

PeerBoard::~PeerBoard() { stop(); }

Result<void> PeerBoard::start(bus::KvBucket& bucket) {
  auto w = bucket.watch(">", [this](const bus::KvEntry& e) { update(e); });
  if (!w) return fail(Errc::kBus, "watching KV " + bucket.bucket() + ": " + w.error().message);
  watch_ = std::move(*w);
  return {};
}

void PeerBoard::stop() {
  if (watch_) watch_->stop();
  watch_.reset();
}

void PeerBoard::update(const bus::KvEntry& entry) {
  if (entry.key == self_) return;
  std::lock_guard lock(mutex_);
  if (entry.op != bus::KvOp::kPut) {
    seen_.erase(entry.key);
    return;
  }
  v1::WorkerStatus s;
  if (!s.ParseFromString(entry.value)) {
    spdlog::warn("vm-worker: KV aether_workers key {}: not a WorkerStatus; ignored", entry.key);
    seen_.erase(entry.key);
    return;
  }
  PeerRoom room;
  room.worker_id = entry.key;
  room.accepting = s.accepting() && !s.draining() && s.runtime_fault().empty();
  room.fits.assign(classes_.size(), 0);
  room.resting.assign(classes_.size(), false);
  room.free = {s.free().vcpus(), s.free().memory_mib(), s.free().max_vms()};
  for (const auto& c : s.classes()) {
    for (std::size_t i = 0; i < classes_.size(); ++i) {
      if (classes_[i].name == c.name()) {
        room.fits[i] = c.fits();
        room.resting[i] = c.resting();
      }
    }
  }
  seen_[entry.key] = {std::move(room), std::chrono::steady_clock::now()};
}

std::vector<PeerRoom> PeerBoard::peers() const {
  const auto now = std::chrono::steady_clock::now();
  std::vector<PeerRoom> out;
  std::lock_guard lock(mutex_);
  for (const auto& [id, seen] : seen_) {
    if (now - seen.at <= stale_after_ && seen.room.accepting) out.push_back(seen.room);
  }
  return out;
}

}  // namespace aether::worker
