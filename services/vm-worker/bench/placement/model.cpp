#include "model.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

namespace aether::placement {

std::vector<VmRequest> generate(const WorkloadShape& s) {
  std::mt19937_64 rng(s.seed);
  std::exponential_distribution<double> gap(s.rate_per_s);
  std::exponential_distribution<double> life(1.0 / s.mean_life_s);
  std::discrete_distribution<int> size({45, 20, 15, 12, 8});
  const std::pair<std::uint32_t, std::uint64_t> sizes[] = {
      {1, 256}, {1, 512}, {2, 1024}, {2, 2048}, {4, 4096}};
  std::vector<VmRequest> out;
  double t = 0;
  for (int i = 0;; ++i) {
    t += gap(rng);
    if (t > s.duration_s) break;
    VmRequest r;
    r.id = "vm-p" + std::to_string(i);
    r.arrive_s = std::round(t * 1000) / 1000;
    r.life_s = std::round(std::clamp(life(rng), 1.0, 4 * s.mean_life_s) * 1000) / 1000;
    const auto [v, m] = sizes[size(rng)];
    r.vcpus = v;
    r.memory_mib = m;
    out.push_back(r);
  }
  return out;
}

bool save_csv(const std::string& path, const std::vector<VmRequest>& w) {
  std::ofstream out(path);
  out << "id,arrive_s,life_s,vcpus,memory_mib\n";
  for (const auto& r : w) {
    out << r.id << "," << r.arrive_s << "," << r.life_s << "," << r.vcpus << "," << r.memory_mib
        << "\n";
  }
  return static_cast<bool>(out);
}

std::optional<std::vector<VmRequest>> load_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);  // header
  std::vector<VmRequest> out;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    VmRequest r;
    std::string f;
    if (!std::getline(ss, r.id, ',')) return std::nullopt;
    char comma = 0;
    if (!(ss >> r.arrive_s >> comma >> r.life_s >> comma >> r.vcpus >> comma >> r.memory_mib)) {
      return std::nullopt;
    }
    out.push_back(r);
  }
  return out;
}

namespace {

bool fits(const Node& free, const VmRequest& r) {
  return r.vcpus <= free.vcpus && r.memory_mib <= free.memory_mib && free.vms >= 1;
}
void take(Node& free, const VmRequest& r) {
  free.vcpus -= r.vcpus;
  free.memory_mib -= r.memory_mib;
  free.vms -= 1;
}
void give(Node& free, const VmRequest& r) {
  free.vcpus += r.vcpus;
  free.memory_mib += r.memory_mib;
  free.vms += 1;
}

}  // namespace

std::vector<Outcome> ideal_ffd(const std::vector<VmRequest>& w, int nodes, const Node& node) {
  std::vector<Outcome> out(w.size());
  std::vector<Node> free(static_cast<std::size_t>(nodes), node);
  std::multimap<double, std::size_t> departures;  // time -> vm
  std::vector<std::size_t> waiting;
  std::size_t next = 0;
  // Largest first: vCPUs, then memory (the workload's sizes are ordered alike).
  auto larger = [&](std::size_t a, std::size_t b) {
    if (w[a].vcpus != w[b].vcpus) return w[a].vcpus > w[b].vcpus;
    if (w[a].memory_mib != w[b].memory_mib) return w[a].memory_mib > w[b].memory_mib;
    return w[a].arrive_s < w[b].arrive_s;
  };
  while (next < w.size() || !departures.empty()) {
    const double t_arr = next < w.size() ? w[next].arrive_s : INFINITY;
    const double t_dep = departures.empty() ? INFINITY : departures.begin()->first;
    const double t = std::min(t_arr, t_dep);
    while (!departures.empty() && departures.begin()->first <= t) {
      const std::size_t i = departures.begin()->second;
      give(free[static_cast<std::size_t>(out[i].node)], w[i]);
      departures.erase(departures.begin());
    }
    while (next < w.size() && w[next].arrive_s <= t) waiting.push_back(next++);
    std::sort(waiting.begin(), waiting.end(), larger);
    std::vector<std::size_t> still;
    for (std::size_t i : waiting) {
      int placed = -1;
      for (int n = 0; n < nodes && placed < 0; ++n) {
        if (fits(free[static_cast<std::size_t>(n)], w[i])) placed = n;
      }
      if (placed < 0) {
        still.push_back(i);
        continue;
      }
      take(free[static_cast<std::size_t>(placed)], w[i]);
      out[i] = {t, t + w[i].life_s, placed};
      departures.emplace(t + w[i].life_s, i);
    }
    waiting = std::move(still);
  }
  return out;
}

double utilisation(const std::vector<VmRequest>& w, const std::vector<Outcome>& o, int nodes,
                   const Node& node, double horizon_s, Resource r) {
  double held = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!o[i].placed_s) continue;
    const double from = std::max(0.0, *o[i].placed_s);
    const double to = std::min(horizon_s, o[i].released_s.value_or(horizon_s));
    if (to <= from) continue;
    const double amount = r == Resource::kVcpus ? w[i].vcpus : static_cast<double>(w[i].memory_mib);
    held += amount * (to - from);
  }
  const double cap = r == Resource::kVcpus ? node.vcpus : static_cast<double>(node.memory_mib);
  return held / (nodes * cap * horizon_s);
}

std::vector<std::vector<double>> wait_with_room_by(const std::vector<VmRequest>& w,
                                                   const std::vector<Outcome>& o, int nodes,
                                                   const Node& node, int categories,
                                                   const WaitClassifier& classify) {
  // Timeline: arrival, placement (take), release (give).
  enum Kind { kRelease = 0, kArrive = 1, kPlace = 2 };
  struct Ev {
    double t;
    int kind;
    std::size_t vm;
  };
  std::vector<Ev> evs;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!o[i].placed_s || o[i].node < 0) continue;
    evs.push_back({w[i].arrive_s, kArrive, i});
    evs.push_back({std::max(*o[i].placed_s, w[i].arrive_s), kPlace, i});
    if (o[i].released_s) evs.push_back({*o[i].released_s, kRelease, i});
  }
  std::sort(evs.begin(), evs.end(),
            [](const Ev& a, const Ev& b) { return a.t != b.t ? a.t < b.t : a.kind < b.kind; });
  std::vector<Node> free(static_cast<std::size_t>(nodes), node);
  std::vector<std::vector<double>> waited(static_cast<std::size_t>(std::max(1, categories)),
                                          std::vector<double>(w.size(), 0));
  std::vector<std::size_t> waiting;
  double last = evs.empty() ? 0 : evs.front().t;
  std::vector<int> with_room;
  for (const auto& e : evs) {
    const double dt = e.t - last;
    if (dt > 0) {
      for (std::size_t i : waiting) {
        with_room.clear();
        for (int n = 0; n < nodes; ++n) {
          if (fits(free[static_cast<std::size_t>(n)], w[i])) with_room.push_back(n);
        }
        if (with_room.empty()) continue;
        const int k =
            classify ? std::clamp(classify(last, i, free, with_room), 0, categories - 1) : 0;
        waited[static_cast<std::size_t>(k)][i] += dt;
      }
    }
    last = e.t;
    const auto n = static_cast<std::size_t>(o[e.vm].node);
    if (e.kind == kArrive) {
      waiting.push_back(e.vm);
    } else if (e.kind == kPlace) {
      std::erase(waiting, e.vm);
      take(free[n], w[e.vm]);
    } else {
      give(free[n], w[e.vm]);
    }
  }
  return waited;
}

std::vector<double> wait_with_room(const std::vector<VmRequest>& w, const std::vector<Outcome>& o,
                                   int nodes, const Node& node) {
  const auto by = wait_with_room_by(w, o, nodes, node, 1, {});
  std::vector<double> out;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (o[i].placed_s) out.push_back(by[0][i]);
  }
  return out;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(idx, v.size() - 1)];
}

}  // namespace aether::placement
