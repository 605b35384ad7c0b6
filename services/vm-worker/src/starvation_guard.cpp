#include "starvation_guard.hpp"

namespace aether::worker {

StarvationGuard::StarvationGuard(std::size_t classes, std::chrono::milliseconds after,
                                 std::chrono::milliseconds hold_max)
    : after_(after), hold_max_(hold_max), classes_(classes) {}

bool StarvationGuard::set_holding(PerClass& p, bool on, Clock::time_point now) {
  if (p.holding == on) return false;
  p.holding = on;
  if (on) {
    p.holding_since = now;
  } else {
    p.holding_since.reset();
  }
  return true;
}

bool StarvationGuard::observe(std::size_t c, Clock::time_point now, std::uint64_t pending,
                              bool closest) {
  if (pending == 0) return clear(c);
  PerClass& p = classes_[c];
  if (!p.waiting_since) p.waiting_since = now;
  if (p.rest_until && now >= *p.rest_until) p.rest_until.reset();
  if (p.rest_until) return set_holding(p, false, now);
  if (!closest || now - *p.waiting_since < after_) return set_holding(p, false, now);
  if (p.holding && now - *p.holding_since >= hold_max_) {
    p.rest_until = now + hold_max_;
    return set_holding(p, false, now);
  }
  return set_holding(p, true, now);
}

bool StarvationGuard::clear(std::size_t c) {
  PerClass& p = classes_[c];
  p.waiting_since.reset();
  return set_holding(p, false, Clock::time_point{});
}

void StarvationGuard::pulled(std::size_t c, Clock::time_point now) {
  PerClass& p = classes_[c];
  if (p.holding) p.holding_since = now;
}

std::vector<bool> StarvationGuard::holding() const {
  std::vector<bool> out;
  for (const auto& p : classes_) out.push_back(p.holding);
  return out;
}

bool StarvationGuard::resting(std::size_t c, Clock::time_point now) const {
  const auto& r = classes_[c].rest_until;
  return r && now < *r;
}

std::vector<bool> StarvationGuard::resting(Clock::time_point now) const {
  std::vector<bool> out;
  for (std::size_t c = 0; c < classes_.size(); ++c) out.push_back(resting(c, now));
  return out;
}

}  // namespace aether::worker
