// BootSlots: concurrent boots and the room-changed signal.
#include "boot_slots.hpp"

namespace aether::worker {

bool BootSlots::slot_free() const {
  std::lock_guard lock(mutex_);
  return in_flight_ < max_;
}

bool BootSlots::try_take(const std::function<bool()>& reserve) {
  std::lock_guard lock(mutex_);
  if (in_flight_ >= max_ || !reserve()) return false;
  ++in_flight_;
  return true;
}

void BootSlots::spawn(std::function<void()> body) {
  std::lock_guard lock(mutex_);
  std::erase_if(threads_, [](const BootThread& b) { return b.done->load(); });
  ++in_flight_;
  auto done = std::make_shared<std::atomic<bool>>(false);
  threads_.push_back({done, std::jthread([body = std::move(body), done](std::stop_token) {
                        body();
                        done->store(true);
                      })});
}

void BootSlots::finished() {
  {
    std::lock_guard lock(mutex_);
    --in_flight_;
    ++epoch_;
  }
  changed();
}

void BootSlots::room_changed() {
  {
    std::lock_guard lock(mutex_);
    ++epoch_;
  }
  changed();
}

void BootSlots::changed() {
  cv_.notify_all();
  if (on_change_) on_change_();
}

std::uint64_t BootSlots::epoch() const {
  std::lock_guard lock(mutex_);
  return epoch_;
}

void BootSlots::wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return epoch_ != seen; });
}

void BootSlots::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  cv_.wait_until(lock, deadline, [&] { return in_flight_ == 0; });
}

void BootSlots::join_all() {
  std::vector<BootThread> threads;
  {
    std::lock_guard lock(mutex_);
    threads = std::move(threads_);
  }
  threads.clear();
}

}  // namespace aether::worker
