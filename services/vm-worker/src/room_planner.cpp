#include "room_planner.hpp"

#include <algorithm>
#include <limits>

namespace aether::worker {

Resources minus(const Resources& free, const Resources& r) {
  return {free.vcpus - std::min(free.vcpus, r.vcpus),
          free.memory_mib - std::min(free.memory_mib, r.memory_mib),
          free.vms - std::min(free.vms, r.vms)};
}

RoomPlanner::RoomPlanner(bus::VmClassTable classes, std::uint32_t max_vcpus,
                         std::uint64_t max_memory_mib)
    : classes_(std::move(classes)) {
  for (const auto& c : classes_) {
    units_.push_back({std::min(c.vcpus, max_vcpus), std::min(c.memory_mib, max_memory_mib), 1});
  }
}

std::uint32_t RoomPlanner::fits(std::size_t c, const Resources& free) const {
  const Resources& u = units_[c];
  std::uint64_t n = free.vms;
  if (u.vcpus > 0) n = std::min<std::uint64_t>(n, free.vcpus / u.vcpus);
  if (u.memory_mib > 0) n = std::min<std::uint64_t>(n, free.memory_mib / u.memory_mib);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, 1u << 30));
}

std::vector<std::uint32_t> RoomPlanner::fits_all(const Resources& free) const {
  std::vector<std::uint32_t> out;
  for (std::size_t c = 0; c < units_.size(); ++c) out.push_back(fits(c, free));
  return out;
}

std::optional<std::size_t> RoomPlanner::smallest_fitting(const Resources& free) const {
  for (std::size_t c = 0; c < units_.size(); ++c) {
    if (units_[c].fits_in(free)) return c;
  }
  return std::nullopt;
}

double RoomPlanner::shortfall(std::size_t c, const Resources& free) const {
  const Resources& u = units_[c];
  double missing = 0;
  if (u.vcpus > free.vcpus) missing += double(u.vcpus - free.vcpus) / u.vcpus;
  if (u.memory_mib > free.memory_mib) {
    missing += double(u.memory_mib - free.memory_mib) / double(u.memory_mib);
  }
  if (free.vms == 0) missing += 1;
  return missing;
}

bool RoomPlanner::closest_to_fit(std::size_t c, const Resources& free, const std::string& self_id,
                                 const std::vector<PeerRoom>& peers) const {
  const double mine = shortfall(c, free);
  for (const auto& p : peers) {
    if (!p.accepting || (c < p.resting.size() && p.resting[c])) continue;
    const double theirs = shortfall(c, p.free);
    if (theirs < mine || (theirs == mine && p.worker_id < self_id)) return false;
  }
  return true;
}

std::uint32_t RoomPlanner::pullable(std::size_t c, const Resources& free,
                                    const std::vector<bool>& holding) const {
  Resources room = free;
  for (std::size_t l = c + 1; l < units_.size() && l < holding.size(); ++l) {
    if (!holding[l]) continue;
    if (!units_[l].fits_in(room)) return 0;
    room = minus(room, units_[l]);
  }
  return fits(c, room);
}

PullDecision RoomPlanner::decide(std::size_t c, const Resources& free,
                                 const std::vector<bool>& starving,
                                 const std::vector<PeerRoom>& peers) const {
  if (!units_[c].fits_in(free)) return PullDecision::kNoRoom;
  // Keep room for a starving larger class: after this VM, it must still fit.
  const std::uint32_t mine = pullable(c, free, starving);
  if (mine == 0) return PullDecision::kHeldBack;
  for (const auto& p : peers) {
    if (p.accepting && c < p.fits.size() && p.fits[c] > mine) return PullDecision::kDefer;
  }
  return PullDecision::kPull;
}

}  // namespace aether::worker
