// aether-bench-placement: the capacity and fetch logic of many vm-workers on a
// recorded mixed workload, against one real nats-server, with a runtime that
// boots at once (no QEMU). Each VM is published to its class subject at its
// arrival time and deleted `life` seconds after READY. Printed, from the same
// run: utilisation (vCPU- and memory-seconds held / capacity) beside the
// offline first-fit-decreasing packing of the same workload; the time creates
// waited in the queue while some worker had room for them (p50/p99/max), per
// class; how the VMs spread over the workers.
// Usage: aether-bench-placement [workload.csv] [workers] [--generate]
//   --generate writes a new workload (seed 42) to the path and exits.
#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "aether/bus/jetstream.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/http/metrics.hpp"
#include "aether/v1/vm.pb.h"
#include "instant_runtime.hpp"
#include "model.hpp"
#include "status_log.hpp"
#include "worker.hpp"

using namespace aether;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using placement::Outcome;
using placement::VmRequest;

namespace {

// Per-VM limits of the simulated workers (the workload's largest VM).
constexpr std::uint32_t kVmMaxVcpus = 4;
constexpr std::uint64_t kVmMaxMemory = 4096;

// Event times of every VM as this bench sees them (seconds since t0).
class Recorder {
 public:
  Recorder(bus::Connection& c, Clock::time_point t0, std::map<std::string, std::size_t> index,
           std::map<std::string, int> worker_index)
      : t0_(t0), index_(std::move(index)), worker_index_(std::move(worker_index)) {
    out_.resize(index_.size());
    natsConnection_Subscribe(&sub_, c.native(), "aether.evt.vm.>", &Recorder::on_msg, this);
    natsConnection_Flush(c.native());
  }
  ~Recorder() {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
  // READY VMs, in order, for the deleter.
  bool next_ready(std::size_t& vm, double& at, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !ready_.empty(); })) return false;
    vm = ready_.front().first;
    at = ready_.front().second;
    ready_.pop();
    return true;
  }
  std::vector<Outcome> outcomes() const {
    std::lock_guard lock(mutex_);
    return out_;
  }
  std::size_t released() const {
    std::lock_guard lock(mutex_);
    return std::count_if(out_.begin(), out_.end(), [](const Outcome& o) { return o.released_s; });
  }
  int failed() const { return failed_; }

 private:
  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
    auto* r = static_cast<Recorder*>(self);
    const double t = std::chrono::duration<double>(Clock::now() - r->t0_).count();
    v1::VmEvent e;
    if (e.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg))) {
      std::lock_guard lock(r->mutex_);
      auto it = r->index_.find(e.vm_id());
      if (it != r->index_.end()) {
        Outcome& o = r->out_[it->second];
        if (e.state() == v1::VM_STATE_SCHEDULED && !o.placed_s) {
          o.placed_s = t;
          o.node = r->worker_index_.contains(e.worker_id()) ? r->worker_index_[e.worker_id()] : -1;
        } else if (e.state() == v1::VM_STATE_READY) {
          r->ready_.emplace(it->second, t);
          r->cv_.notify_all();
        } else if ((e.state() == v1::VM_STATE_STOPPED || e.state() == v1::VM_STATE_FAILED) &&
                   !o.released_s) {
          o.released_s = t;
          if (e.state() == v1::VM_STATE_FAILED) ++r->failed_;
        }
      }
    }
    natsMsg_Destroy(msg);
  }
  Clock::time_point t0_;
  std::map<std::string, std::size_t> index_;
  std::map<std::string, int> worker_index_;
  natsSubscription* sub_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Outcome> out_;
  std::queue<std::pair<std::size_t, double>> ready_;
  int failed_ = 0;
};

v1::CreateVm create_of(const VmRequest& r) {
  v1::CreateVm c;
  c.set_vm_id(r.id);
  c.set_tenant("bench");
  c.set_request_id("req-" + r.id);
  c.mutable_spec()->set_template_("default");
  c.mutable_spec()->set_vcpus(r.vcpus);
  c.mutable_spec()->set_memory_mib(static_cast<std::uint32_t>(r.memory_mib));
  return c;
}

std::string class_name(const VmRequest& r) {
  const auto& t = bus::default_vm_classes();
  return t[bus::vm_class_index(t, r.vcpus, r.memory_mib)].name;
}

// Why creates waited while some worker had room for them: each second of such
// waiting is put into one category, from the replay's free room and the
// WorkerStatus each worker had put into KV at that moment.
void print_diagnosis(const std::vector<VmRequest>& w, const std::vector<Outcome>& actual,
                     int workers, const placement::Node& node, const placement::StatusLog& log,
                     const worker::RoomPlanner& planner) {
  enum { kUnit, kHeld, kBusy, kOther, kCount };
  const char* names[] = {"class unit did not fit", "held for a starving class", "not accepting",
                         "other (pull latency, deferral, naks)"};
  auto classify = [&](double t, std::size_t vm, const std::vector<placement::Node>& free,
                      const std::vector<int>& with_room) {
    const std::size_t c = planner.class_of(w[vm].vcpus, w[vm].memory_mib);
    const auto& u = planner.unit(c);
    bool unit_room = false, free_of_holds = false, accepting = false;
    for (int n : with_room) {
      const auto& f = free[static_cast<std::size_t>(n)];
      if (u.vcpus > f.vcpus || u.memory_mib > f.memory_mib || f.vms < 1) continue;
      unit_room = true;
      const auto seen = log.at(n, t);
      bool held = false;
      for (std::size_t l = c + 1; l < seen.starving.size(); ++l) held = held || seen.starving[l];
      if (held) continue;
      free_of_holds = true;
      accepting = accepting || seen.accepting;
    }
    if (!unit_room) return int(kUnit);
    if (!free_of_holds) return int(kHeld);
    if (!accepting) return int(kBusy);
    return int(kOther);
  };
  const auto by = placement::wait_with_room_by(w, actual, workers, node, kCount, classify);
  // The same wait, less the time when the only room was the starvation
  // guard's documented reservation (a worker holding room for a larger class).
  std::vector<double> outside;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (actual[i].placed_s) outside.push_back(by[kUnit][i] + by[kBusy][i] + by[kOther][i]);
  }
  std::printf(
      "| wait in queue while room existed outside the starvation reservation, p50 / p99 / max "
      "(ms) | %.0f / %.0f / %.0f | | |\n",
      1000 * placement::percentile(outside, 0.5), 1000 * placement::percentile(outside, 0.99),
      1000 * placement::percentile(outside, 1.0));
  std::printf("why creates waited while room existed (seconds summed over all VMs; VMs > 1 s):\n");
  for (int k = 0; k < kCount; ++k) {
    double sum = 0;
    int over = 0;
    for (double x : by[static_cast<std::size_t>(k)]) {
      sum += x;
      over += x > 1.0;
    }
    std::printf("  %-38s %8.1f s  %3d VMs\n", names[k], sum, over);
  }
  const auto holding = log.holding(w.back().arrive_s);
  std::printf(
      "room held for a starving class (worker-seconds, most workers at once, longest hold):");
  for (std::size_t c = 0; c < holding.size(); ++c) {
    std::printf(" %s %.1f s / %d / %.1f s", planner.classes()[c].name.c_str(),
                holding[c].worker_seconds, holding[c].most_at_once, holding[c].longest);
  }
  std::printf("\n");
  std::vector<std::size_t> order(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) order[i] = i;
  auto total = [&](std::size_t i) {
    double s = 0;
    for (const auto& v : by) s += v[i];
    return s;
  };
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return total(a) > total(b); });
  std::printf("longest: ");
  for (std::size_t j = 0; j < 6 && j < order.size(); ++j) {
    const auto i = order[j];
    std::printf("%s %u/%llu arr %.1f wait %.1f s (unit %.1f held %.1f busy %.1f other %.1f)%s",
                w[i].id.c_str(), w[i].vcpus, static_cast<unsigned long long>(w[i].memory_mib),
                w[i].arrive_s, total(i), by[kUnit][i], by[kHeld][i], by[kBusy][i], by[kOther][i],
                j + 1 < 6 ? "\n         " : "\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : AETHER_PLACEMENT_WORKLOAD;
  if (argc > 2 && std::strcmp(argv[2], "--generate") == 0) {
    const auto w = placement::generate({});
    if (!placement::save_csv(path, w)) return 1;
    std::printf("wrote %zu VMs to %s\n", w.size(), path.c_str());
    return 0;
  }
  const int workers = argc > 2 ? std::max(1, std::atoi(argv[2])) : 8;
  auto loaded = placement::load_csv(path);
  if (!loaded || loaded->empty()) {
    std::fprintf(stderr, "cannot read the workload %s\n", path.c_str());
    return 1;
  }
  const std::vector<VmRequest>& w = *loaded;
  spdlog::set_level(spdlog::level::warn);  // one line per VM transition otherwise
  const placement::Node node{8, 8192, 16};

  auto server = devstack::NatsServer::start();
  if (!server) {
    std::fprintf(stderr, "nats-server: %s\n", server.error().message.c_str());
    return 1;
  }
  auto admin = bus::Connection::connect({.url = server->url(), .name = "bench"});
  if (!admin) return 1;
  bus::ProvisionConfig pc;
  pc.vm_create_ack_wait = 30s;
  pc.vm_create_max_deliver = -1;
  pc.vm_create_backoff = {};
  pc.workers_ttl = 5s;
  if (auto p = bus::provision(*admin, pc); !p) {
    std::fprintf(stderr, "provision: %s\n", p.error().message.c_str());
    return 1;
  }
  char tmpl[] = "/tmp/placement.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::filesystem::path root = tmpl;

  std::map<std::string, int> worker_index;
  std::vector<std::unique_ptr<http::Registry>> registries;
  std::vector<std::unique_ptr<worker::Worker>> pool;
  auto runtime = std::make_shared<placement::InstantRuntime>();
  for (int i = 0; i < workers; ++i) {
    const std::string id = "w" + std::to_string(i);
    worker_index[id] = i;
    auto conn = bus::Connection::connect({.url = server->url(), .name = id});
    if (!conn) return 1;
    worker::WorkerConfig c;
    c.nats_url = server->url();
    c.worker_id = id;
    c.node = id;
    c.state_dir = root / id;
    c.templates["default"] = {"/dev/null", "/dev/null"};
    c.capacity = {node.vcpus, node.memory_mib, node.vms};
    c.limits.max_vcpus = kVmMaxVcpus;
    c.limits.max_memory_mib = kVmMaxMemory;
    c.max_concurrent_boots = 4;
    c.heartbeat_interval = 1s;
    c.reap_interval = 500ms;
    c.busy_retry_delay = 200ms;
    c.stopped_retention = 1s;
    c.provision = std::nullopt;
    registries.push_back(std::make_unique<http::Registry>());
    pool.push_back(std::make_unique<worker::Worker>(c, *conn, runtime, *registries.back()));
    if (auto s = pool.back()->start(); !s) {
      std::fprintf(stderr, "worker %s: %s\n", id.c_str(), s.error().message.c_str());
      return 1;
    }
  }
  std::this_thread::sleep_for(2s);  // every heartbeat seen by every peer

  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < w.size(); ++i) index[w[i].id] = i;
  const auto t0 = Clock::now();
  Recorder rec(*admin, t0, index, worker_index);
  placement::StatusLog status_log(*admin, t0, worker_index, bus::default_vm_classes().size());

  // Deleter: each VM goes `life` seconds after its READY.
  std::atomic<bool> done{false};
  std::thread deleter([&] {
    auto conn = bus::Connection::connect({.url = server->url(), .name = "bench-delete"});
    std::multimap<double, std::size_t> due;
    while (!done) {
      std::size_t vm = 0;
      double at = 0;
      while (rec.next_ready(vm, at, 10ms)) due.emplace(at + w[vm].life_s, vm);
      const double now = std::chrono::duration<double>(Clock::now() - t0).count();
      while (!due.empty() && due.begin()->first <= now) {
        const auto i = due.begin()->second;
        due.erase(due.begin());
        (void)conn->request<v1::VmOpReply>("aether.vm." + w[i].id + ".delete", v1::DeleteVm{},
                                           {.timeout = 10s});
      }
    }
  });
  // Publisher: each VM at its arrival time, on its class subject.
  for (const auto& r : w) {
    std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(r.arrive_s)));
    if (!admin->js_publish(bus::vm_create_subject(r.vcpus, r.memory_mib), create_of(r),
                           {.tenant = "bench", .msg_id = r.id})) {
      std::fprintf(stderr, "publish %s failed\n", r.id.c_str());
    }
  }
  const double horizon = w.back().arrive_s;
  // Drain: until every VM has come and gone (bounded).
  const auto drain_deadline = Clock::now() + 180s;
  while (rec.released() < w.size() && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(200ms);
  }
  done = true;
  deleter.join();
  const auto actual = rec.outcomes();
  for (auto& p : pool) p->kill();
  pool.clear();
  std::error_code ec;
  std::filesystem::remove_all(root, ec);

  const auto ideal = placement::ideal_ffd(w, workers, node);
  using placement::Resource;
  const double u_cpu = placement::utilisation(w, actual, workers, node, horizon, Resource::kVcpus);
  const double u_mem = placement::utilisation(w, actual, workers, node, horizon, Resource::kMemory);
  const double i_cpu = placement::utilisation(w, ideal, workers, node, horizon, Resource::kVcpus);
  const double i_mem = placement::utilisation(w, ideal, workers, node, horizon, Resource::kMemory);
  const auto room_wait = placement::wait_with_room(w, actual, workers, node);
  const auto ideal_room_wait = placement::wait_with_room(w, ideal, workers, node);

  std::size_t placed = 0;
  std::map<std::string, std::vector<double>> queue_wait;  // per class: arrival -> placed
  std::vector<int> per_worker(static_cast<std::size_t>(workers), 0);
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!actual[i].placed_s) continue;
    ++placed;
    queue_wait[class_name(w[i])].push_back(*actual[i].placed_s - w[i].arrive_s);
    if (actual[i].node >= 0) ++per_worker[static_cast<std::size_t>(actual[i].node)];
  }
  std::vector<double> ideal_wait;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (ideal[i].placed_s) ideal_wait.push_back(*ideal[i].placed_s - w[i].arrive_s);
  }

  std::printf(
      "placement simulation: %d workers of %u vCPU / %llu MiB / %u VMs, %zu VMs over %.0f s "
      "(%s)\n",
      workers, node.vcpus, static_cast<unsigned long long>(node.memory_mib), node.vms, w.size(),
      horizon, path.c_str());
  std::printf("placed %zu / %zu, failed %d\n", placed, w.size(), rec.failed());
  std::printf("| measure | vm-workers | offline FFD | ratio |\n|---|---|---|---|\n");
  std::printf("| vCPU utilisation (0..%.0f s) | %.1f%% | %.1f%% | %.3f |\n", horizon, 100 * u_cpu,
              100 * i_cpu, u_cpu / i_cpu);
  std::printf("| memory utilisation | %.1f%% | %.1f%% | %.3f |\n", 100 * u_mem, 100 * i_mem,
              u_mem / i_mem);
  std::printf(
      "| wait in queue while room existed, p50 / p99 / max (ms) | %.0f / %.0f / %.0f | "
      "%.0f / %.0f / %.0f | |\n",
      1000 * placement::percentile(room_wait, 0.5), 1000 * placement::percentile(room_wait, 0.99),
      1000 * placement::percentile(room_wait, 1.0),
      1000 * placement::percentile(ideal_room_wait, 0.5),
      1000 * placement::percentile(ideal_room_wait, 0.99),
      1000 * placement::percentile(ideal_room_wait, 1.0));
  for (const auto& [cls, v] : queue_wait) {
    std::printf(
        "| queue wait, class %s (%zu VMs), p50 / p99 / max (ms) | %.0f / %.0f / %.0f | | |\n",
        cls.c_str(), v.size(), 1000 * placement::percentile(v, 0.5),
        1000 * placement::percentile(v, 0.99), 1000 * placement::percentile(v, 1.0));
  }
  std::printf("| queue wait, all, p99 (ms) | | %.0f | |\n",
              1000 * placement::percentile(ideal_wait, 0.99));
  print_diagnosis(w, actual, workers, node, status_log,
                  worker::RoomPlanner(bus::default_vm_classes(), kVmMaxVcpus, kVmMaxMemory));
  // Machine-readable lines for `make bench` (tools/bench-report/README.md).
  std::printf(
      "BENCH figure=placement.vcpu_utilisation value=%.4f unit=fraction baseline=%.4f "
      "baseline_of=offline_ffd better=higher\n",
      u_cpu, i_cpu);
  std::printf(
      "BENCH figure=placement.memory_utilisation value=%.4f unit=fraction baseline=%.4f "
      "baseline_of=offline_ffd better=higher\n",
      u_mem, i_mem);
  // The wait while room existed, beside the p99 queue wait of every create of
  // this run (room or not): how much of the queueing placement adds.
  std::vector<double> all_waits;
  for (const auto& [cls, v] : queue_wait) all_waits.insert(all_waits.end(), v.begin(), v.end());
  std::printf(
      "BENCH figure=placement.wait_while_room_p99 value=%.0f unit=ms baseline=%.0f "
      "baseline_of=queue_wait_p99_all_creates better=lower\n",
      1000 * placement::percentile(room_wait, 0.99), 1000 * placement::percentile(all_waits, 0.99));
  std::printf("VMs per worker:");
  for (int n : per_worker) std::printf(" %d", n);
  std::printf("\n");
  return placed == w.size() ? 0 : 2;
}
