// StatusLog: every WorkerStatus the workers put into KV aether_workers during
// the placement simulation, with the time it was seen, so the bench can say
// why a create waited while some worker had room for it (that worker was
// holding room for a starving class, was not accepting, ...).
// Threads: the cnats delivery thread appends; at() after the run.
#pragma once

#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/v1/worker.pb.h"

namespace aether::placement {

struct SeenStatus {
  double t = 0;
  bool accepting = false;
  std::vector<bool> starving;  // per class, table order
};

class StatusLog {
 public:
  StatusLog(bus::Connection& c, std::chrono::steady_clock::time_point t0,
            std::map<std::string, int> worker_index, std::size_t classes)
      : t0_(t0), index_(std::move(worker_index)), classes_(classes) {
    log_.resize(index_.size());
    natsConnection_Subscribe(&sub_, c.native(), "$KV.aether_workers.>", &StatusLog::on_msg, this);
    natsConnection_Flush(c.native());
  }
  ~StatusLog() {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
  StatusLog(const StatusLog&) = delete;
  StatusLog& operator=(const StatusLog&) = delete;

  // The status worker `n` had last put at time t (default: nothing seen yet).
  [[nodiscard]] SeenStatus at(int n, double t) const {
    std::lock_guard lock(mutex_);
    const auto& v = log_[static_cast<std::size_t>(n)];
    SeenStatus out{0, true, std::vector<bool>(classes_, false)};
    for (const auto& s : v) {
      if (s.t > t) break;
      out = s;
    }
    return out;
  }

  // Per class: worker-seconds spent holding room for it (starving) within
  // [0, horizon], and the most workers holding for it at once.
  struct Holding {
    double worker_seconds = 0;
    int most_at_once = 0;
    double longest = 0;  // one worker's longest single hold
  };
  [[nodiscard]] std::vector<Holding> holding(double horizon) const {
    std::lock_guard lock(mutex_);
    std::vector<Holding> out(classes_);
    std::vector<std::pair<double, int>> edges;  // per class in turn: (t, +1/-1)
    for (std::size_t c = 0; c < classes_; ++c) {
      edges.clear();
      for (const auto& v : log_) {
        bool on = false;
        double since = 0;
        for (const auto& s : v) {
          const double t = std::clamp(s.t, 0.0, horizon);
          if (s.starving[c] && !on) on = true, since = t, edges.emplace_back(t, 1);
          if (!s.starving[c] && on) {
            on = false, edges.emplace_back(t, -1);
            out[c].worker_seconds += t - since;
            out[c].longest = std::max(out[c].longest, t - since);
          }
        }
        if (on) {
          out[c].worker_seconds += horizon - since, edges.emplace_back(horizon, -1);
          out[c].longest = std::max(out[c].longest, horizon - since);
        }
      }
      std::sort(edges.begin(), edges.end());
      int now = 0;
      for (const auto& [t, d] : edges)
        out[c].most_at_once = std::max(out[c].most_at_once, now += d);
    }
    return out;
  }

 private:
  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
    auto* l = static_cast<StatusLog*>(self);
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - l->t0_).count();
    const std::string subject = natsMsg_GetSubject(msg);
    const std::string key = subject.substr(subject.rfind('.') + 1);
    v1::WorkerStatus s;
    if (l->index_.contains(key) &&
        s.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg))) {
      SeenStatus seen{t, s.accepting(), std::vector<bool>(l->classes_, false)};
      for (int c = 0; c < s.classes_size() && static_cast<std::size_t>(c) < l->classes_; ++c) {
        seen.starving[static_cast<std::size_t>(c)] = s.classes(c).starving();
      }
      std::lock_guard lock(l->mutex_);
      l->log_[static_cast<std::size_t>(l->index_.at(key))].push_back(std::move(seen));
    }
    natsMsg_Destroy(msg);
  }
  std::chrono::steady_clock::time_point t0_;
  std::map<std::string, int> index_;
  std::size_t classes_;
  natsSubscription* sub_ = nullptr;
  mutable std::mutex mutex_;
  std::vector<std::vector<SeenStatus>> log_;  // per worker, in time order; guarded by mutex_
};

}  // namespace aether::placement
