// aether-bench-vm-worker: what the worker adds on top of a boot, and what the
// warm pool buys. All in one run, against a real nats-server and QEMU:
//  1. baseline: Runtime::boot to agent ready, called directly;
//  2. create-to-READY over the bus (JetStream publish -> READY event), cold,
//     alternating with 1; ratio 2/1 = the worker's overhead around a boot;
//  3. create-to-READY served from the warm pool; ratio 3/2;
//  4. creates/s from a full warm pool (median of `rounds` bursts of pool-sized creates).
// Usage: aether-bench-vm-worker [guest_dir] [rounds]; guest_dir defaults to
// $AETHER_GUEST_DIR. TCG unless AETHER_QEMU_ACCEL=kvm.
#include <nats/nats.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aether/bus/jetstream.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/http/metrics.hpp"
#include "aether/v1/vm.pb.h"
#include "aether/vmm/runtime.hpp"
#include "worker.hpp"

using namespace aether;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Arrival time of each VM's READY event.
class ReadyWatch {
 public:
  explicit ReadyWatch(bus::Connection& c) {
    natsConnection_Subscribe(&sub_, c.native(), "aether.evt.vm.*.ready", &ReadyWatch::on_msg, this);
    natsConnection_Flush(c.native());
  }
  ~ReadyWatch() {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
  bool wait(const std::string& id, std::chrono::milliseconds timeout, Clock::time_point& at) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return ready_.contains(id); })) return false;
    at = ready_[id];
    return true;
  }

 private:
  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
    auto* w = static_cast<ReadyWatch*>(self);
    v1::VmEvent e;
    if (e.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg))) {
      std::lock_guard lock(w->mutex_);
      w->ready_[e.vm_id()] = Clock::now();
    }
    natsMsg_Destroy(msg);
    w->cv_.notify_all();
  }
  natsSubscription* sub_ = nullptr;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, Clock::time_point> ready_;
};

v1::CreateVm create(const std::string& id) {
  v1::CreateVm c;
  c.set_vm_id(id);
  c.set_tenant("bench");
  c.set_request_id("req-" + id);
  c.mutable_spec()->set_template_("default");
  c.mutable_spec()->set_vcpus(1);
  c.mutable_spec()->set_memory_mib(128);
  return c;
}

worker::WorkerConfig bench_config(const std::string& id, const std::string& url,
                                  const std::filesystem::path& guest,
                                  const std::filesystem::path& state, std::uint32_t pool) {
  worker::WorkerConfig c;
  c.nats_url = url;
  c.worker_id = id;
  c.node = "bench";
  c.state_dir = state;
  c.templates["default"] = {guest / "vmlinux", guest / "initramfs.cpio"};
  c.capacity = {8, 4096, 8};
  c.limits.max_vcpus = 1;
  c.limits.max_memory_mib = 128;
  c.max_concurrent_boots = 1;
  c.boot_timeout = 180s;
  c.heartbeat_interval = 1s;
  c.reap_interval = 200ms;
  c.provision = std::nullopt;
  c.warm_pool = {pool, "default", 1, 128};
  c.version = "0.1.0";
  return c;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "aether-bench-vm-worker: %s\n", what.c_str());
  return 1;
}

bool delete_vm(bus::Connection& c, const std::string& id) {
  return c.request<v1::VmOpReply>("aether.vm." + id + ".delete", v1::DeleteVm{}, {.timeout = 30s})
      .has_value();
}

}  // namespace

int main(int argc, char** argv) {
  const char* env_dir = std::getenv("AETHER_GUEST_DIR");
  const std::filesystem::path guest = argc > 1 ? argv[1] : (env_dir ? env_dir : "");
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  if (guest.empty() || !std::filesystem::exists(guest / "vmlinux")) {
    return fail("no guest image: pass its dir or set AETHER_GUEST_DIR");
  }
  const bool kvm = [] {
    const char* a = std::getenv("AETHER_QEMU_ACCEL");
    return a != nullptr && std::string(a) == "kvm";
  }();
  char tmpl[] = "/tmp/vmwb.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return fail("mkdtemp");
  const std::filesystem::path root = tmpl;
  auto server = devstack::NatsServer::start();
  if (!server) return fail("nats-server: " + server.error().message);
  auto conn = bus::Connection::connect({.url = server->url(), .name = "bench"});
  if (!conn) return fail(conn.error().message);
  if (auto p = bus::provision(*conn); !p) return fail(p.error().message);
  std::shared_ptr<vmm::Runtime> runtime = vmm::make_qemu_runtime({}, kvm);
  ReadyWatch watch(*conn);

  // 1 + 2, interleaved so both see the same machine: the runtime's own boot
  // to agent ready, then a cold create-to-READY over the bus.
  std::vector<double> direct;
  std::vector<double> cold;
  {
    http::Registry reg;
    worker::Worker w(bench_config("bench-cold", server->url(), guest, root / "cold", 0), *conn,
                     runtime, reg);
    if (auto s = w.start(); !s) return fail(s.error().message);
    for (int i = 0; i < rounds; ++i) {
      vmm::VmConfig vc;
      vc.id = "direct-" + std::to_string(i);
      vc.state_dir = root / vc.id;
      vc.kernel = guest / "vmlinux";
      vc.initrd = guest / "initramfs.cpio";
      vc.memory_mib = 128;
      vc.boot_timeout = 180s;
      auto t0 = Clock::now();
      {
        auto vm = runtime->boot(vc);
        if (!vm) return fail("direct boot: " + vm.error().message);
        direct.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
      const auto id = "cold-" + std::to_string(i);
      t0 = Clock::now();
      if (!conn->js_publish(bus::kVmCreateSubject, create(id), {.msg_id = id})) {
        return fail("publish");
      }
      Clock::time_point at;
      if (!watch.wait(id, 240s, at)) return fail(id + " never READY");
      cold.push_back(std::chrono::duration<double, std::milli>(at - t0).count());
      if (!delete_vm(*conn, id)) return fail("delete " + id);
    }
    w.shutdown();
  }

  // 3 + 4. Warm pool: single hits, then a burst as large as the pool.
  std::vector<double> warm;
  double burst_per_s = 0, burst_min = 0, burst_max = 0;
  const auto pool = static_cast<std::uint32_t>(std::max(2, rounds));
  {
    http::Registry reg;
    worker::Worker w(bench_config("bench-warm", server->url(), guest, root / "warm", pool), *conn,
                     runtime, reg);
    if (auto s = w.start(); !s) return fail(s.error().message);
    auto wait_full = [&] {
      const auto deadline = Clock::now() + 600s;
      while (w.warm_pool_size() < pool && Clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
      return w.warm_pool_size() == pool;
    };
    for (int i = 0; i < rounds; ++i) {
      if (!wait_full()) return fail("warm pool never filled");
      const auto id = "warm-" + std::to_string(i);
      const auto t0 = Clock::now();
      if (!conn->js_publish(bus::kVmCreateSubject, create(id), {.msg_id = id}))
        return fail("publish");
      Clock::time_point at;
      if (!watch.wait(id, 240s, at)) return fail(id + " never READY");
      warm.push_back(std::chrono::duration<double, std::milli>(at - t0).count());
      if (!delete_vm(*conn, id)) return fail("delete " + id);
    }
    // Bursts as large as the pool, each from a full pool; the median rate
    // (one burst alone swings with whatever the refill boots are doing).
    std::vector<double> rates;
    for (int b = 0; b < rounds; ++b) {
      if (!wait_full()) return fail("warm pool never refilled");
      const auto t0 = Clock::now();
      std::vector<std::string> ids;
      for (std::uint32_t i = 0; i < pool; ++i) {
        ids.push_back("burst-" + std::to_string(b) + "-" + std::to_string(i));
        if (!conn->js_publish(bus::kVmCreateSubject, create(ids.back()), {.msg_id = ids.back()}))
          return fail("publish");
      }
      Clock::time_point last = t0;
      for (const auto& id : ids) {
        Clock::time_point at;
        if (!watch.wait(id, 240s, at)) return fail(id + " never READY");
        last = std::max(last, at);
      }
      rates.push_back(pool / std::chrono::duration<double>(last - t0).count());
      for (const auto& id : ids) {
        if (!delete_vm(*conn, id)) return fail("delete " + id);
      }
    }
    burst_per_s = median(rates);
    burst_min = *std::min_element(rates.begin(), rates.end());
    burst_max = *std::max_element(rates.begin(), rates.end());
    w.shutdown();
  }
  std::error_code ec;
  std::filesystem::remove_all(root, ec);

  const double d = median(direct), c = median(cold), wm = median(warm);
  const double cold_per_s = c > 0 ? 1000.0 / c : 0;
  std::printf("vm-worker benchmark (%s, %d rounds, medians)\n", kvm ? "KVM" : "TCG", rounds);
  std::printf("  runtime boot-to-ready (baseline)     %8.1f ms\n", d);
  std::printf(
      "  create-to-READY over the bus, cold   %8.1f ms   ratio vs baseline %.3f (overhead %+.1f "
      "ms)\n",
      c, d > 0 ? c / d : 0, c - d);
  std::printf("  create-to-READY from the warm pool   %8.1f ms   ratio vs cold %.4f\n", wm,
              c > 0 ? wm / c : 0);
  std::printf(
      "  creates/s, bursts of %u from the pool %7.1f /s  vs %.2f /s cold (ratio %.1f; median of %d "
      "bursts, %.0f-%.0f /s)\n",
      pool, burst_per_s, cold_per_s, cold_per_s > 0 ? burst_per_s / cold_per_s : 0, rounds,
      burst_min, burst_max);
  std::printf(
      "  (bursts vary: the pool refills in the background while one is served, and on a small\n"
      "   TCG host a refill boot competes with the worker for the cores)\n");
  // Machine-readable lines for `make bench` (tools/bench-report/README.md).
  std::printf(
      "BENCH figure=vm_worker.create_to_ready_cold value=%.1f unit=ms baseline=%.1f "
      "baseline_of=runtime_boot better=lower\n",
      c, d);
  std::printf(
      "BENCH figure=vm_worker.create_to_ready_warm value=%.1f unit=ms baseline=%.1f "
      "baseline_of=create_to_ready_cold better=lower\n",
      wm, c);
  std::printf(
      "BENCH figure=vm_worker.warm_burst_rate value=%.1f unit=creates/s baseline=%.2f "
      "baseline_of=cold_rate better=higher\n",
      burst_per_s, cold_per_s);
  return 0;
}
