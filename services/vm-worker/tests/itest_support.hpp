// Shared by the vm-worker integration tests: a real nats-server with the bus
// provisioned for quick redelivery, an event recorder, worker configs using
// the real guest image, and small bounded waits.
#pragma once

#include <nats/nats.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/devstack/otlp_sink.hpp"
#include "aether/trace/exporter.hpp"
#include "aether/v1/exec.pb.h"
#include "aether/v1/vm.pb.h"
#include "vm_state.hpp"
#include "worker_config.hpp"

namespace aether::worker::testing {

using namespace std::chrono_literals;

inline std::filesystem::path guest_dir() {
  const char* dir = std::getenv("AETHER_GUEST_DIR");
  REQUIRE(dir != nullptr);
  REQUIRE(std::filesystem::exists(std::filesystem::path(dir) / "vmlinux"));
  return dir;
}

// Polls `done` every 50 ms until it holds or `timeout` passes.
inline bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/vmw.XXXXXX";  // short: Unix socket paths live below it
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Every VmEvent published on aether.evt.vm.>, in arrival order.
class EventRecorder {
 public:
  explicit EventRecorder(bus::Connection& c) {
    natsSubscription* sub = nullptr;
    REQUIRE(natsConnection_Subscribe(&sub, c.native(), "aether.evt.vm.>", &EventRecorder::on_msg,
                                     this) == NATS_OK);
    sub_ = sub;
    REQUIRE(natsConnection_Flush(c.native()) == NATS_OK);
  }
  ~EventRecorder() {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
  std::vector<v1::VmEvent> of(const std::string& vm_id) const {
    std::lock_guard lock(mutex_);
    std::vector<v1::VmEvent> out;
    for (const auto& e : events_) {
      if (e.vm_id() == vm_id) out.push_back(e);
    }
    return out;
  }
  int count(const std::string& vm_id, v1::VmState state) const {
    int n = 0;
    for (const auto& e : of(vm_id)) n += e.state() == state ? 1 : 0;
    return n;
  }
  std::optional<v1::VmEvent> last(const std::string& vm_id, v1::VmState state) const {
    std::optional<v1::VmEvent> out;
    for (const auto& e : of(vm_id)) {
      if (e.state() == state) out = e;
    }
    return out;
  }
  // Waits until `vm_id` has an event in `state` (and, when `part` is not
  // empty, a reason containing it); returns the newest such event. A reply can
  // reach the test before the event the worker published ahead of it: the
  // recorder's subscription is delivered on its own thread.
  v1::VmEvent wait_reason(const std::string& vm_id, v1::VmState state, const std::string& part,
                          std::chrono::milliseconds timeout) {
    std::optional<v1::VmEvent> found;
    wait_for(
        [&] {
          for (const auto& e : of(vm_id)) {
            if (e.state() == state && e.reason().find(part) != std::string::npos) found = e;
          }
          return found.has_value();
        },
        timeout);
    INFO("VM " << vm_id << " never reached " << state_token(state)
               << (part.empty() ? std::string() : " with '" + part + "'")
               << "; events: " << dump(vm_id));
    REQUIRE(found.has_value());
    return *found;
  }
  v1::VmEvent wait(const std::string& vm_id, v1::VmState state, std::chrono::milliseconds timeout) {
    return wait_reason(vm_id, state, "", timeout);
  }
  std::string dump(const std::string& vm_id) const {
    std::string s;
    for (const auto& e : of(vm_id)) {
      s += std::string(state_token(e.state())) + "@" + e.worker_id() + "(" + e.reason() + ") ";
    }
    return s;
  }

 private:
  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
    auto* r = static_cast<EventRecorder*>(self);
    v1::VmEvent e;
    if (e.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg))) {
      std::lock_guard lock(r->mutex_);
      r->events_.push_back(std::move(e));
    }
    natsMsg_Destroy(msg);
  }
  natsSubscription* sub_ = nullptr;
  mutable std::mutex mutex_;
  std::vector<v1::VmEvent> events_;
};

// nats-server plus the bus resources, with short ack wait and worker TTL so
// redelivery after a crash happens within a test's patience.
struct Bus {
  devstack::NatsServer server;
  bus::Connection connection;

  // max_deliver: the vm-create consumer's MaxDeliver (-1: unlimited).
  static Bus start(int max_deliver = -1) {
    auto s = devstack::NatsServer::start();
    REQUIRE(s);
    auto c = bus::Connection::connect({.url = s->url(), .name = "itest"});
    REQUIRE(c);
    bus::ProvisionConfig pc;
    pc.vm_create_ack_wait = 8s;
    pc.vm_create_max_deliver = max_deliver;
    pc.vm_create_backoff = {};
    pc.workers_ttl = 4s;
    auto p = bus::provision(*c, pc);
    INFO((p ? "" : p.error().message));
    REQUIRE(p);
    return Bus{std::move(*s), std::move(*c)};
  }
};

inline WorkerConfig worker_config(const std::string& id, const std::string& nats_url,
                                  const std::filesystem::path& state_dir) {
  WorkerConfig c;
  c.nats_url = nats_url;
  c.worker_id = id;
  c.node = "itest-node";
  c.state_dir = state_dir;
  c.templates["default"] = {guest_dir() / "vmlinux", guest_dir() / "initramfs.cpio"};
  c.capacity = {2, 1024, 2};
  c.limits.max_vcpus = 1;
  c.limits.max_memory_mib = 256;
  c.boot_timeout = 180s;  // TCG on a busy 2-core machine
  c.max_concurrent_boots = 1;
  c.in_progress_interval = 2s;
  c.heartbeat_interval = 1s;
  c.reap_interval = 200ms;
  c.busy_retry_delay = 1s;
  c.drain_timeout = 60s;
  c.provision = std::nullopt;
  c.version = "0.1.0";
  return c;
}

inline v1::CreateVm create_vm(const std::string& id, std::uint32_t vcpus = 1,
                              std::uint32_t memory = 128) {
  v1::CreateVm c;
  c.set_vm_id(id);
  c.set_tenant("acme");
  c.set_request_id("req-" + id);
  c.mutable_spec()->set_template_("default");
  c.mutable_spec()->set_vcpus(vcpus);
  c.mutable_spec()->set_memory_mib(memory);
  return c;
}

inline void publish_create(bus::Connection& c, const v1::CreateVm& create) {
  auto ack = c.js_publish(bus::kVmCreateSubject, create,
                          {.tenant = create.tenant(), .msg_id = create.request_id()});
  INFO((ack ? "" : ack.error().message));
  REQUIRE(ack);
}

// The process's span exporter sending to `sink` as `service` (20 ms batches) for
// one test; shut down, flushing what is left, when it goes out of scope.
class ExportToSink {
 public:
  ExportToSink(const devstack::OtlpSink& sink, std::string service) {
    trace::ExporterConfig tc;
    tc.service_name = std::move(service);
    tc.endpoint = sink.endpoint() + "/v1/traces";
    tc.schedule_delay = 20ms;
    REQUIRE(trace::init(tc));
  }
  ~ExportToSink() { trace::shutdown(5s); }
  ExportToSink(const ExportToSink&) = delete;
  ExportToSink& operator=(const ExportToSink&) = delete;
};

// Runs `sh -c script` in the VM over the bus; checks it exited 0 and returns
// its stdout.
inline std::string sh(bus::Connection& c, const std::string& vm, const std::string& script) {
  v1::ExecRequest exec;
  exec.add_argv("sh");
  exec.add_argv("-c");
  exec.add_argv(script);
  auto reply = c.request<v1::ExecReply>("aether.vm." + vm + ".exec", exec, {.timeout = 120s});
  INFO((reply ? "stderr: " + reply->stderr() : reply.error().message));
  REQUIRE(reply);
  CHECK(reply->exit_code() == 0);
  return reply->stdout();
}

}  // namespace aether::worker::testing
