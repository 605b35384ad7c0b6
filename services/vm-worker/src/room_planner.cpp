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

PullDecision RoomPlanner::decide(std::size_t c, const Resources& free,
                                 const std::vector<bool>& starving,
                                 const std::vector<PeerRoom>& peers) const {
  if (!units_[c].fits_in(free)) return PullDecision::kNoRoom;
  // Keep room for a starving larger class: after this VM, it must still fit.
  const Resources after = minus(free, units_[c]);
  for (std::size_t l = c + 1; l < units_.size() && l < starving.size(); ++l) {
    if (starving[l] && !units_[l].fits_in(after)) return PullDecision::kHeldBack;
  }
  const std::uint32_t mine = fits(c, free);
  for (const auto& p : peers) {
    if (p.accepting && c < p.fits.size() && p.fits[c] > mine) return PullDecision::kDefer;
  }
  return PullDecision::kPull;
}

}  // namespace aether::worker
