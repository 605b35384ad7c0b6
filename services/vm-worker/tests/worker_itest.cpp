// vm-worker against a real nats-server and real QEMU (TCG here) booting the
// real guest image, in-process. Boots are few and VMs are reused.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "aether/bus/kv.hpp"
#include "aether/bus/serve.hpp"
#include "aether/devstack/otlp_sink.hpp"
#include "aether/http/metrics.hpp"
#include "aether/trace/exporter.hpp"
#include "aether/v1/exec.pb.h"
#include "aether/v1/files.pb.h"
#include "aether/v1/worker.pb.h"
#include "aether/vmm/runtime.hpp"
#include "itest_support.hpp"
#include "worker.hpp"

using namespace aether;
using namespace aether::worker;
using namespace aether::worker::testing;

namespace {

std::shared_ptr<vmm::Runtime> tcg() { return vmm::make_qemu_runtime({}, /*use_kvm=*/false); }

template <class Rep>
bus::Result<Rep> call(bus::Connection& c, const std::string& subject,
                      const google::protobuf::Message& req, std::chrono::milliseconds t = 60s) {
  return c.request<Rep>(subject, req, {.timeout = t});
}

}  // namespace

TEST_CASE("worker: VM lifecycle over the bus with bad input and a capacity wait") {
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  auto config = worker_config("w-a", bus.server.url(), state.path);
  config.capacity = {2, 1024, 1};  // one VM at a time: the second create must wait
  http::Registry registry;
  Worker w(config, bus.connection, tcg(), registry);
  REQUIRE(w.start());

  // Malformed: not a CreateVm at all -> terminated, counted, never retried.
  {
    // A length prefix running past the end: no protobuf parser accepts it.
    natsMsg* raw = nullptr;
    REQUIRE(natsMsg_Create(&raw, std::string(bus::kVmCreateSubject).c_str(), nullptr, "\x0a\xff",
                           2) == NATS_OK);
    jsPubAck* pa = nullptr;
    REQUIRE(js_PublishMsg(&pa, bus.connection.jetstream(), raw, nullptr, nullptr) == NATS_OK);
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(raw);
  }
  REQUIRE(wait_for(
      [&] {
        return registry.serialize().find("aether_worker_creates_total{result=\"malformed\"} 1") !=
               std::string::npos;
      },
      30s));

  // Impossible specs -> FAILED with the reason, acked.
  auto zero = create_vm("vm-zero", 0);
  publish_create(bus.connection, zero);
  CHECK_THAT(events.wait("vm-zero", v1::VM_STATE_FAILED, 30s).reason(),
             Catch::Contains("spec.vcpus is 0"));
  auto huge = create_vm("vm-huge", 1, 1u << 20);
  publish_create(bus.connection, huge);
  CHECK_THAT(events.wait("vm-huge", v1::VM_STATE_FAILED, 30s).reason(),
             Catch::Contains("more than this node has"));
  auto unknown = create_vm("vm-tpl");
  unknown.mutable_spec()->set_template_("ruby");
  publish_create(bus.connection, unknown);
  CHECK_THAT(events.wait("vm-tpl", v1::VM_STATE_FAILED, 30s).reason(),
             Catch::Contains("'ruby' is unknown"));

  // The real thing.
  auto one = create_vm("vm-one");
  (*one.mutable_spec()->mutable_env())["GREETING"] = "hello";
  publish_create(bus.connection, one);
  auto ready = events.wait("vm-one", v1::VM_STATE_READY, 240s);
  CHECK(ready.worker_id() == "w-a");
  CHECK(ready.runtime() == "qemu");
  CHECK(events.dump("vm-one") == "scheduled@w-a() booting@w-a() ready@w-a() ");

  // Exec, collected.
  v1::ExecRequest exec;
  exec.add_argv("/bin/sh");
  exec.add_argv("-c");
  exec.add_argv("echo $GREETING; echo oops >&2; exit 3");
  auto reply = call<v1::ExecReply>(bus.connection, "aether.vm.vm-one.exec", exec);
  INFO((reply ? "" : reply.error().message));
  REQUIRE(reply);
  CHECK(reply->exit_code() == 3);
  CHECK(reply->stdout() == "hello\n");
  CHECK(reply->stderr() == "oops\n");

  // Exec, streamed to an inbox.
  std::mutex chunks_mutex;
  std::string streamed;
  auto inbox_sub = bus::serve_raw(
      bus.connection, "itest.inbox.1", {.plain = true},
      [&](std::string_view payload, const bus::RequestContext&) -> bus::Result<std::string> {
        v1::ExecOutputChunk c;
        if (c.ParseFromArray(payload.data(), int(payload.size()))) {
          std::lock_guard lock(chunks_mutex);
          streamed += c.data();
        }
        return std::string();
      });
  REQUIRE(inbox_sub);
  exec.clear_argv();
  exec.add_argv("/bin/sh");
  exec.add_argv("-c");
  exec.add_argv("for i in 1 2 3; do echo line$i; done");
  exec.set_stream_inbox("itest.inbox.1");
  reply = call<v1::ExecReply>(bus.connection, "aether.vm.vm-one.exec", exec);
  REQUIRE(reply);
  CHECK(reply->exit_code() == 0);
  CHECK(reply->stdout().empty());
  CHECK(wait_for(
      [&] {
        std::lock_guard lock(chunks_mutex);
        return streamed == "line1\nline2\nline3\n";
      },
      10s));

  // Bad exec input is a 400, the VM stays fine.
  v1::ExecRequest empty;
  auto bad = call<v1::ExecReply>(bus.connection, "aether.vm.vm-one.exec", empty);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().service_code == 400);

  // Files.
  v1::FilePut put;
  put.set_path("/tmp/data.bin");
  put.set_content(std::string("abc\0def", 7));
  put.set_mode(0600);
  auto put_reply = call<v1::FilePutReply>(bus.connection, "aether.vm.vm-one.files.put", put);
  INFO((put_reply ? "" : put_reply.error().message));
  REQUIRE(put_reply);
  CHECK(put_reply->size() == 7);
  v1::FileGet get;
  get.set_path("/tmp/data.bin");
  auto got = call<v1::FileGetReply>(bus.connection, "aether.vm.vm-one.files.get", get);
  REQUIRE(got);
  CHECK(got->content() == put.content());
  CHECK(got->sha256() == put_reply->sha256());

  // Status.
  auto st =
      call<v1::VmStatusReply>(bus.connection, "aether.vm.vm-one.status", v1::VmStatusRequest{});
  REQUIRE(st);
  CHECK(st->state() == v1::VM_STATE_READY);
  CHECK(st->worker_id() == "w-a");

  // Unknown VM: nobody serves it.
  auto nobody = call<v1::ExecReply>(bus.connection, "aether.vm.vm-nope.exec", exec, 5s);
  REQUIRE_FALSE(nobody);
  CHECK(nobody.error().code == bus::Errc::kNoResponders);

  // Capacity full (max 1 VM): the next create waits in the queue ...
  auto two = create_vm("vm-two");
  two.mutable_spec()->set_ttl_seconds(3);
  publish_create(bus.connection, two);
  std::this_thread::sleep_for(3s);
  CHECK(events.of("vm-two").empty());
  // ... and is served once room frees: stop, then delete vm-one.
  auto stopped = call<v1::VmOpReply>(bus.connection, "aether.vm.vm-one.stop", v1::StopVm{});
  REQUIRE(stopped);
  CHECK(stopped->state() == v1::VM_STATE_STOPPED);
  auto after_stop = call<v1::ExecReply>(bus.connection, "aether.vm.vm-one.exec", exec);
  REQUIRE_FALSE(after_stop);
  CHECK(after_stop.error().service_code == 409);
  auto deleted = call<v1::VmOpReply>(bus.connection, "aether.vm.vm-one.delete", v1::DeleteVm{});
  REQUIRE(deleted);
  CHECK(deleted->state() == v1::VM_STATE_DELETED);
  events.wait("vm-one", v1::VM_STATE_DELETED, 10s);
  CHECK(wait_for(
      [&] {
        auto r = call<v1::VmStatusReply>(bus.connection, "aether.vm.vm-one.status",
                                         v1::VmStatusRequest{}, 2s);
        return !r && r.error().code == bus::Errc::kNoResponders;
      },
      10s));

  events.wait("vm-two", v1::VM_STATE_READY, 240s);
  // TTL: vm-two stops itself after 3 s.
  auto ttl_stop = events.wait("vm-two", v1::VM_STATE_STOPPED, 60s);
  CHECK_THAT(ttl_stop.reason(), Catch::Contains("ttl"));
  CHECK(w.status().used().max_vms() == 0);

  // Idle timeout: stops once nothing has run for 2 s (an exec counts as activity).
  auto three = create_vm("vm-three");
  three.mutable_spec()->set_idle_timeout_seconds(2);
  publish_create(bus.connection, three);
  events.wait("vm-three", v1::VM_STATE_READY, 240s);
  v1::ExecRequest sleep_exec;
  sleep_exec.add_argv("/bin/sleep");
  sleep_exec.add_argv("3");  // longer than the idle timeout: must not count as idle
  auto slept = call<v1::ExecReply>(bus.connection, "aether.vm.vm-three.exec", sleep_exec);
  REQUIRE(slept);
  CHECK(slept->exit_code() == 0);
  auto idle_stop = events.wait("vm-three", v1::VM_STATE_STOPPED, 60s);
  CHECK_THAT(idle_stop.reason(), Catch::Contains("idle"));

  // Metrics saw it all.
  const auto text = registry.serialize();
  CHECK_THAT(text, Catch::Contains("aether_vm_boot_seconds_count 3"));
  CHECK_THAT(text, Catch::Contains("aether_worker_creates_total{result=\"invalid\"} 3"));
  CHECK_THAT(text, Catch::Contains("aether_vm_exec_seconds_count"));
  w.shutdown();
  CHECK(events.count("vm-one", v1::VM_STATE_READY) == 1);
}

// Spans the sink received, as parsed JSON lines.
std::vector<nlohmann::json> received_spans(const devstack::OtlpSink& sink) {
  std::vector<nlohmann::json> out;
  std::ifstream in(sink.spans_file());
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

TEST_CASE("worker: warm-pool hit with discovery heartbeat and drain") {
  auto sink = devstack::OtlpSink::start();
  REQUIRE(sink);
  ExportToSink exporter(*sink, "vm-worker-itest");
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  auto config = worker_config("w-pool", bus.server.url(), state.path);
  config.warm_pool = {1, "default", 1, 128};
  http::Registry registry;
  Worker w(config, bus.connection, tcg(), registry);
  REQUIRE(w.start());
  REQUIRE(wait_for([&] { return w.warm_pool_size() == 1; }, 240s));

  // Heartbeat in KV, status and micro discovery over the bus.
  auto kv = bus::KvBucket::open(bus.connection, "aether_workers");
  REQUIRE(kv);
  auto entry = kv->get("w-pool");
  REQUIRE(entry);
  v1::WorkerStatus hb;
  REQUIRE(hb.ParseFromString(entry->value));
  CHECK(hb.capacity().max_vms() == 2);
  CHECK(hb.used().max_vms() == 1);  // the pool VM counts
  auto st =
      call<v1::WorkerStatus>(bus.connection, "aether.worker.w-pool.status", v1::DrainWorker{});
  REQUIRE(st);
  CHECK(st->warm_pool() == 1);
  auto ping = bus.connection.request_raw("$SRV.PING.vm-worker", "", {}, 5s);
  REQUIRE(ping);
  CHECK_THAT(ping->data, Catch::Contains("\"name\":\"vm-worker\""));

  // A matching create is served from the pool.
  trace::Span root("itest create+exec", trace::SpanKind::kInternal, std::nullopt);
  const auto trace_id = root.context().trace_id_hex();
  auto root_scope = root.activate();
  auto c = create_vm("vm-warm", 1, 128);
  publish_create(bus.connection, c);
  auto ready = events.wait("vm-warm", v1::VM_STATE_READY, 30s);
  CHECK_THAT(ready.traceparent(), Catch::Contains(trace_id));  // events carry the command's trace
  CHECK_THAT(ready.reason(), Catch::Contains("warm pool"));
  CHECK(events.count("vm-warm", v1::VM_STATE_BOOTING) == 0);
  v1::ExecRequest exec;
  exec.add_argv("/bin/echo");
  exec.add_argv("warm");
  auto reply = call<v1::ExecReply>(bus.connection, "aether.vm.vm-warm.exec", exec);
  REQUIRE(reply);
  CHECK(reply->stdout() == "warm\n");
  // One trace: the worker's exec span and the guest's own span, exported.
  REQUIRE(wait_for(
      [&] {
        trace::force_flush(5s);
        bool worker_exec = false, agent_exec = false;
        for (const auto& span : received_spans(*sink)) {
          if (span["trace_id"] != trace_id) continue;
          worker_exec = worker_exec || span["name"] == "vm-worker exec";
          agent_exec = agent_exec || span["name"] == "vm-agent exec";
        }
        return worker_exec && agent_exec;
      },
      30s));
  // The pool refills in the background.
  REQUIRE(wait_for([&] { return w.warm_pool_size() == 1; }, 240s));

  // Drain: stop fetching, stop the VMs.
  v1::DrainWorker drain;
  drain.set_stop_vms(true);
  auto dr = call<v1::DrainReply>(bus.connection, "aether.worker.w-pool.drain", drain);
  REQUIRE(dr);
  CHECK(dr->worker_id() == "w-pool");
  auto stopped = events.wait("vm-warm", v1::VM_STATE_STOPPED, 60s);
  CHECK_THAT(stopped.reason(), Catch::Contains("drained"));
  CHECK(w.draining());
  REQUIRE(wait_for([&] { return w.warm_pool_size() == 0; }, 30s));
  auto late = create_vm("vm-late", 1, 128);
  publish_create(bus.connection, late);
  std::this_thread::sleep_for(3s);
  CHECK(events.of("vm-late").empty());  // a draining worker takes nothing
  w.shutdown();
  CHECK_FALSE(kv->get("w-pool"));  // its heartbeat key is gone
}

TEST_CASE("worker: drain with a deadline and no stop_vms lets VMs run until it, then stops them") {
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  http::Registry registry;
  Worker w(worker_config("w-deadline", bus.server.url(), state.path), bus.connection, tcg(),
           registry);
  REQUIRE(w.start());
  publish_create(bus.connection, create_vm("vm-dl"));
  events.wait("vm-dl", v1::VM_STATE_READY, 240s);

  v1::DrainWorker drain;
  drain.set_stop_vms(false);
  drain.set_deadline_seconds(10);  // ample for the exec below, even on a loaded machine
  auto dr = call<v1::DrainReply>(bus.connection, "aether.worker.w-deadline.drain", drain);
  REQUIRE(dr);
  CHECK(dr->vms_remaining() == 1);
  CHECK(w.draining());
  // Before the deadline the VM still serves requests.
  v1::ExecRequest exec;
  exec.add_argv("/bin/sh");
  exec.add_argv("-c");
  exec.add_argv("true");
  auto ran = call<v1::ExecReply>(bus.connection, "aether.vm.vm-dl.exec", exec);
  INFO((ran ? "" : ran.error().message));
  REQUIRE(ran);
  CHECK(ran->exit_code() == 0);
  // At the deadline it is stopped, with the reason.
  auto stopped = events.wait("vm-dl", v1::VM_STATE_STOPPED, 120s);
  CHECK_THAT(stopped.reason(), Catch::Contains("drained"));
  w.shutdown();
}

TEST_CASE("history: the newest event wins, and an unreadable newest one falls back") {
  auto bus = Bus::start();
  auto publish = [&](v1::VmState state) {
    v1::VmEvent e;
    e.set_vm_id("vm-h");
    e.set_state(state);
    e.set_worker_id("w-h");
    auto ack = bus.connection.js_publish(vm_event_subject("vm-h", state), e);
    INFO((ack ? "" : ack.error().message));
    REQUIRE(ack);
  };
  auto none = latest_event(bus.connection, "vm-h");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());

  publish(v1::VM_STATE_BOOTING);
  publish(v1::VM_STATE_READY);
  publish(v1::VM_STATE_BOOTING);  // older subjects may hold newer events: order is by sequence
  auto newest = latest_event(bus.connection, "vm-h");
  REQUIRE(newest);
  REQUIRE(newest->has_value());
  CHECK((*newest)->event.state() == v1::VM_STATE_BOOTING);

  // Garbage as the newest event: the newest readable one is used.
  natsMsg* raw = nullptr;
  REQUIRE(natsMsg_Create(&raw, vm_event_subject("vm-h", v1::VM_STATE_STOPPING).c_str(), nullptr,
                         "\x0a\xff", 2) == NATS_OK);
  jsPubAck* pa = nullptr;
  REQUIRE(js_PublishMsg(&pa, bus.connection.jetstream(), raw, nullptr, nullptr) == NATS_OK);
  jsPubAck_Destroy(pa);
  natsMsg_Destroy(raw);
  auto fallback = latest_event(bus.connection, "vm-h");
  REQUIRE(fallback);
  REQUIRE(fallback->has_value());
  CHECK((*fallback)->event.state() == v1::VM_STATE_BOOTING);
  CHECK((*fallback)->sequence == (*newest)->sequence);
}
