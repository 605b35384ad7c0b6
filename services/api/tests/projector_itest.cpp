// The projector against real nats-server and PostgreSQL: events published
// straight onto the bus become rows; replays, restarts and bad events.
#include <google/protobuf/util/time_util.h>
#include <nats/nats.h>

#include "aether/bus/connection.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/v1/node.pb.h"
#include "aether/v1/scale.pb.h"
#include "aether/v1/vm.pb.h"
#include "aether/v1/worker.pb.h"
#include "fixture.hpp"
#include "ids.hpp"
#include "node_store.hpp"
#include "projector.hpp"
#include "tenant_store.hpp"
#include "vm_read_cache.hpp"
#include "vm_store.hpp"

using namespace aether;
using namespace aether::api;
using namespace aether::api::testing;
using namespace std::chrono_literals;

namespace {

struct Bus {
  devstack::NatsServer nats = [] {
    auto s = devstack::NatsServer::start({});
    if (!s) FAIL("nats-server did not start: " << s.error().message);
    return std::move(*s);
  }();
  bus::Connection conn = [this] {
    auto c = bus::Connection::connect({.url = nats.url(), .name = "projector-itest"});
    if (!c) FAIL("connect: " << c.error().message);
    return std::move(*c);
  }();
  Bus() { REQUIRE(bus::provision(conn)); }

  std::uint64_t publish(const std::string& subject, const google::protobuf::Message& m,
                        bus::ContentType type = bus::ContentType::kProtobuf) {
    auto ack = conn.js_publish(subject, m, {.content_type = type});
    INFO((ack ? std::string() : ack.error().message));
    REQUIRE(ack);
    return ack->sequence;
  }
  void publish_bytes(const std::string& subject, const std::string& bytes) {
    jsPubAck* ack = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    REQUIRE(js_Publish(&ack, conn.jetstream(), subject.c_str(), bytes.data(),
                       static_cast<int>(bytes.size()), nullptr, &jerr) == NATS_OK);
    jsPubAck_Destroy(ack);
  }
};

v1::VmEvent vm_event(const std::string& id, const std::string& tenant, v1::VmState state,
                     v1::VmState previous = v1::VM_STATE_UNSPECIFIED) {
  v1::VmEvent e;
  e.set_vm_id(id);
  e.set_tenant(tenant);
  e.set_state(state);
  e.set_previous_state(previous);
  e.set_worker_id("w1");
  e.set_node("node-a");
  e.set_runtime("qemu");
  *e.mutable_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  e.mutable_spec()->set_vcpus(1);
  e.mutable_spec()->set_memory_mib(256);
  if (state == v1::VM_STATE_FAILED) e.set_reason("boot timed out");
  return e;
}

std::string vm_subject(const std::string& id, const char* state) {
  return "aether.evt.vm." + id + "." + state;
}

// Steps until `settled` messages were handled in total (bounded).
void drain(Projector& p, std::uint64_t settled) {
  for (int i = 0; i < 200; ++i) {
    auto s = p.stats();
    if (s.projected + s.skipped + s.ignored >= settled) return;
    auto n = p.step(200ms);
    INFO((n ? std::string() : n.error()));
    REQUIRE(n);
  }
  FAIL("projector did not settle " << settled << " messages");
}

std::unique_ptr<Projector> projector(Bus& b, pg::Pool& pool, http::Registry& reg,
                                     const std::string& durable = "api-projector",
                                     int batch = 100) {
  auto p = Projector::create(b.conn, pool, reg, {.durable = durable, .batch_size = batch});
  INFO((p ? std::string() : p.error()));
  REQUIRE(p);
  return std::move(*p);
}

}  // namespace

TEST_CASE("VM - node and scale events published on the bus become rows", "[api]") {
  Bus b;
  auto pool = pool_for(fresh_database());
  http::Registry reg;
  auto p = projector(b, *pool, reg);
  const std::string id = new_uuid_v7();
  b.publish(vm_subject(id, "scheduled"), vm_event(id, "acme", v1::VM_STATE_SCHEDULED));
  b.publish(vm_subject(id, "booting"), vm_event(id, "acme", v1::VM_STATE_BOOTING));
  auto ready = vm_event(id, "acme", v1::VM_STATE_READY, v1::VM_STATE_BOOTING);
  ready.set_accelerated(false);
  ready.set_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  const auto ready_seq = b.publish(vm_subject(id, "ready"), ready, bus::ContentType::kJson);
  v1::NodeEvent n;
  n.set_node("node-a");
  n.set_state(v1::NODE_STATE_READY);
  n.set_kvm_usable(true);
  (*n.mutable_labels())["aether.io/kvm"] = "true";
  b.publish("aether.evt.node.node-a.ready", n);
  v1::ScaleDecision d;
  d.set_decision_id("dec-1");
  d.set_action(v1::SCALE_ACTION_SCALE_UP);
  d.set_from_nodes(1);
  d.set_to_nodes(2);
  d.add_nodes("node-b");
  b.publish("aether.evt.scale.scale_up", d);
  v1::WorkerEvent w;
  w.set_worker_id("w1");
  w.set_state(v1::WORKER_STATE_STARTED);
  b.publish("aether.evt.worker.w1.started", w);  // not projected

  drain(*p, 6);
  CHECK(p->stats().projected == 5);
  CHECK(p->stats().ignored == 1);
  CHECK(p->stats().skipped == 0);

  VmStore vms(*pool);
  auto vm = vms.get("acme", id);
  REQUIRE(vm);
  REQUIRE(vm->has_value());
  CHECK((*vm)->state == "READY");
  CHECK((*vm)->worker_id == "w1");
  CHECK((*vm)->runtime == "qemu");
  CHECK((*vm)->accelerated == false);
  CHECK((*vm)->ready_at);
  CHECK((*vm)->last_event_seq == static_cast<std::int64_t>(ready_seq));
  CHECK((*vm)->spec_json.find("\"memoryMib\": 256") != std::string::npos);
  auto events = vms.events("acme", id);
  REQUIRE(events);
  REQUIRE(events->has_value());
  REQUIRE((*events)->size() == 3);
  CHECK((**events)[0].state == "SCHEDULED");
  CHECK((**events)[2].previous_state == "BOOTING");
  CHECK((**events)[2].traceparent == ready.traceparent());
  CHECK_FALSE(vms.get("other", id)->has_value());

  auto node = NodeStore(*pool).get("node-a");
  REQUIRE(node);
  REQUIRE(node->has_value());
  CHECK((*node)->state == "READY");
  CHECK((*node)->labels_json.find("aether.io/kvm") != std::string::npos);
  auto decisions = ScaleDecisionStore(*pool).latest();
  REQUIRE(decisions);
  REQUIRE(decisions->size() == 1);
  CHECK(decisions->at(0).action == "SCALE_UP");
  CHECK(decisions->at(0).nodes == std::vector<std::string>{"node-b"});
  CHECK(reg.serialize().find("aether_api_projected_events_total{kind=\"vm\"} 3") !=
        std::string::npos);
}

TEST_CASE("the api's PENDING row advances - an event naming another tenant cannot take it",
          "[api]") {
  Bus b;
  auto pool = pool_for(fresh_database());
  REQUIRE(TenantStore(*pool).create({"acme", "", {}}));
  VmStore vms(*pool);
  NewVm nv{new_uuid_v7(), "acme", R"({"vcpus":2,"memoryMib":512,"labels":{"a":"b"}})", 2, 512};
  REQUIRE(vms.create_pending(nv));
  http::Registry reg;
  auto p = projector(b, *pool, reg);
  b.publish(vm_subject(nv.id, "ready"), vm_event(nv.id, "mallory", v1::VM_STATE_FAILED));
  drain(*p, 1);
  CHECK((*vms.get("acme", nv.id))->state == "PENDING");
  CHECK_FALSE(vms.get("mallory", nv.id)->has_value());
  b.publish(vm_subject(nv.id, "booting"), vm_event(nv.id, "acme", v1::VM_STATE_BOOTING));
  drain(*p, 2);
  auto vm = *vms.get("acme", nv.id);
  CHECK(vm->state == "BOOTING");
  // The api's spec stays (the event's is only used for VMs the api never saw).
  CHECK(vm->spec_json.find("\"labels\": {\"a\": \"b\"}") != std::string::npos);
}

TEST_CASE("a replay changes nothing - a restart resumes without duplicates", "[api]") {
  Bus b;
  auto pool = pool_for(fresh_database());
  http::Registry reg;
  std::vector<std::string> ids;
  auto publish_vms = [&](int count) {
    for (int i = 0; i < count; ++i) {
      ids.push_back(new_uuid_v7());
      const auto& id = ids.back();
      b.publish(vm_subject(id, "scheduled"), vm_event(id, "acme", v1::VM_STATE_SCHEDULED));
      b.publish(vm_subject(id, "booting"), vm_event(id, "acme", v1::VM_STATE_BOOTING));
      b.publish(vm_subject(id, i % 2 ? "ready" : "failed"),
                vm_event(id, "acme", i % 2 ? v1::VM_STATE_READY : v1::VM_STATE_FAILED));
    }
  };
  const char* snapshot_sql =
      "SELECT string_agg(concat_ws('|', id, state, worker_id, reason, ready_at, updated_at,"
      " last_event_seq), ',' ORDER BY id) FROM vms";
  publish_vms(20);
  {
    auto p = projector(b, *pool, reg, "api-projector", 16);  // several batches
    drain(*p, 60);
    CHECK(p->stats().batches >= 4);
  }
  CHECK(value(*pool, "SELECT count(*) FROM vm_events") == "60");
  CHECK(value(*pool, "SELECT count(*) FROM vms") == "20");
  const std::string before = value(*pool, snapshot_sql);

  // A second consumer from the start of the stream: every event again.
  {
    auto replay = projector(b, *pool, reg, "replay-check", 7);
    drain(*replay, 60);
    CHECK(replay->stats().projected == 60);
  }
  CHECK(value(*pool, "SELECT count(*) FROM vm_events") == "60");
  CHECK(value(*pool, snapshot_sql) == before);

  // The first projector comes back: it resumes after what it acked.
  publish_vms(5);
  auto again = projector(b, *pool, reg, "api-projector", 16);
  drain(*again, 15);
  CHECK(again->stats().projected == 15);
  CHECK(again->step(300ms) == 0);  // nothing left over
  CHECK(value(*pool, "SELECT count(*) FROM vm_events") == "75");
  CHECK(value(*pool, "SELECT count(*) FROM vms") == "25");
  CHECK(value(*pool, "SELECT count(*) FROM vms WHERE state NOT IN ('READY', 'FAILED')") == "0");
}

TEST_CASE("undecodable and invalid events are logged - counted and skipped", "[api]") {
  Bus b;
  auto pool = pool_for(fresh_database());
  http::Registry reg;
  auto p = projector(b, *pool, reg);
  const std::string id = new_uuid_v7();
  b.publish_bytes(vm_subject(id, "ready"), "\xff\xfe not protobuf");
  auto bad_id = vm_event("not-a-uuid", "acme", v1::VM_STATE_READY);
  b.publish(vm_subject("x", "ready"), bad_id);
  auto no_state = vm_event(id, "acme", v1::VM_STATE_UNSPECIFIED);
  b.publish(vm_subject(id, "x"), no_state);
  v1::ScaleDecision negative;
  negative.set_decision_id("d");
  negative.set_action(v1::SCALE_ACTION_HOLD);
  negative.set_from_nodes(-1);
  b.publish("aether.evt.scale.hold", negative);
  b.publish(vm_subject(id, "ready"), vm_event(id, "acme", v1::VM_STATE_READY));

  drain(*p, 5);
  CHECK(p->stats().skipped == 4);
  CHECK(p->stats().projected == 1);
  CHECK(VmStore(*pool).get("acme", id)->value().state == "READY");
  CHECK(value(*pool, "SELECT count(*) FROM scale_decisions") == "0");
  const std::string metrics = reg.serialize();
  CHECK(metrics.find("aether_api_projection_skipped_total{reason=\"undecodable\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("aether_api_projection_skipped_total{reason=\"invalid\"} 3") !=
        std::string::npos);
  // Terminated, not redelivered: the consumer is caught up.
  CHECK(p->step(300ms) == 0);
}

TEST_CASE("projection lag in events is the consumer's backlog", "[api]") {
  Bus b;
  auto pool = pool_for(fresh_database());
  http::Registry reg;
  auto p = projector(b, *pool, reg, "api-projector", 5);
  for (int i = 0; i < 20; ++i) {
    const std::string id = new_uuid_v7();
    b.publish(vm_subject(id, "ready"), vm_event(id, "acme", v1::VM_STATE_READY));
  }
  auto n = p->step(1000ms);
  REQUIRE(n);
  REQUIRE(*n == 5);
  const std::string m = reg.serialize();
  const std::string line = "\naether_api_projection_lag_events ";
  auto at = m.find(line);
  REQUIRE(at != std::string::npos);
  const double lag = std::stod(m.substr(at + line.size()));
  CHECK(lag >= 15);  // not yet delivered; up to 5 more while acks are in flight
  CHECK(lag <= 20);
  drain(*p, 20);
  CHECK(p->stats().projected == 20);
}

TEST_CASE("PostgreSQL down: the batch waits on the bus and is projected once it is back", "[api]") {
  Bus b;
  auto pool = pool_for(fresh_database());
  http::Registry reg;
  auto p = projector(b, *pool, reg);
  const std::string id = new_uuid_v7();
  REQUIRE(postgres().stop());
  b.publish(vm_subject(id, "ready"), vm_event(id, "acme", v1::VM_STATE_READY));
  auto failed = p->step(1000ms);
  REQUIRE_FALSE(failed);
  INFO(failed.error());
  CHECK(failed.error().find("unavailable") != std::string::npos);
  REQUIRE(postgres().restart());
  for (int i = 0; i < 50 && p->stats().projected == 0; ++i) (void)p->step(500ms);  // nak delay 1 s
  CHECK(p->stats().projected == 1);
  CHECK(VmStore(*pool).get("acme", id)->value().state == "READY");
}

TEST_CASE("after each COMMIT the projector drops the batch's VMs from the read cache", "[api]") {
  Bus b;
  auto pool = pool_for(fresh_database());
  REQUIRE(TenantStore(*pool).create({"acme", "", {}}));
  VmStore vms(*pool);
  NewVm nv{new_uuid_v7(), "acme", R"({"vcpus":1,"memoryMib":256})", 1, 256};
  REQUIRE(vms.create_pending(nv));
  VmReadCache cache({.ttl = 60s, .hold = 0ms});
  auto load = [&](const std::string& t, const std::string& id) { return vms.get(t, id); };
  REQUIRE((*cache.get("acme", nv.id, load))->state == "PENDING");  // cached
  http::Registry reg;
  std::vector<std::string> committed;
  auto p = Projector::create(b.conn, *pool, reg,
                             {.on_committed = [&](const std::vector<std::string>& ids) {
                               committed.insert(committed.end(), ids.begin(), ids.end());
                               for (const auto& id : ids) cache.invalidate(id);
                             }});
  REQUIRE(p);
  b.publish(vm_subject(nv.id, "booting"), vm_event(nv.id, "acme", v1::VM_STATE_BOOTING));
  drain(**p, 1);
  CHECK(committed == std::vector<std::string>{nv.id});
  CHECK((*cache.get("acme", nv.id, load))->state == "BOOTING");  // read again after COMMIT
}
