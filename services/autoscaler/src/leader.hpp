// LeaderElection: one lease key in KV aether_leases, so several autoscaler
// replicas are safe and only the holder acts.
//
// The lease value names the holder; the holder renews it every ttl/3 by a
// compare-and-set on the revision it last wrote. A follower polls the key and
// takes it over (compare-and-set on the revision it saw) once that revision
// has not changed for a whole ttl on the follower's own monotonic clock, so
// replicas need no synchronised wall clocks. The holder counts itself leader
// only while its last successful renewal started less than 0.8 ttl ago, and
// demotes at once when the connection to NATS is lost or a renewal loses
// the compare-and-set; a follower cannot take over before a full ttl after
// that renewal, so two leaders never overlap. stop() releases the lease (an
// empty holder) so a follower takes over at its next poll.
//
// Lifecycle: start() runs the lease thread; stop()/destructor end it.
// Threads: is_leader() from any thread; on_change runs on the lease thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "aether/bus/connection.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/bus/kv.hpp"
#include "errors.hpp"
#include "fleet_types.hpp"

namespace aether::autoscaler {

struct LeaseConfig {
  std::string key = "autoscaler";
  std::string holder;  // this replica's id
  std::chrono::milliseconds ttl{10'000};
  std::chrono::milliseconds poll{250};  // a follower reads the key this often (at most ttl/3)
};

class LeaderElection {
 public:
  using OnChange = std::function<void(bool leader)>;
  LeaderElection(bus::Connection connection, LeaseConfig config, OnChange on_change = {});
  ~LeaderElection();
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  [[nodiscard]] Result<void> start();
  // Ends the thread; releases the lease when held (release = false: leave it
  // to expire, as a crashed replica would).
  void stop(bool release = true);

  [[nodiscard]] bool is_leader() const;
  [[nodiscard]] const std::string& holder() const { return config_.holder; }
  // The holder named in the lease when last read (empty: none).
  [[nodiscard]] std::string current_holder() const;

  // The lease value: {"holder": ..., "ttl_ms": ...}; empty holder = released.
  [[nodiscard]] static std::string encode(const std::string& holder, std::chrono::milliseconds ttl);
  [[nodiscard]] static std::string holder_of(const std::string& value);

 private:
  void run(std::stop_token stop);
  void step();
  void try_acquire();
  void renew();
  void set_leader(bool leader);

  bus::Connection connection_;
  LeaseConfig config_;
  OnChange on_change_;
  std::optional<bus::KvBucket> kv_;

  // Lease thread only:
  std::uint64_t my_revision_ = 0;
  std::uint64_t seen_revision_ = 0;
  TimePoint seen_at_{};
  TimePoint next_renew_{};

  std::atomic<bool> leader_{false};
  std::atomic<std::int64_t> valid_until_ns_{0};  // steady clock, leader only
  mutable std::mutex holder_mutex_;              // guards current_holder_
  std::string current_holder_;
  std::mutex wake_mutex_;  // with wake_ (stop)
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace aether::autoscaler
