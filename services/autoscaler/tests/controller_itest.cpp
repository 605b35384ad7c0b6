// The Autoscaler controller against a real nats-server, with the dry-run
// actuator: backlog-driven scale-up with the decision's inputs on the bus,
// drain-then-remove (this test plays the workers' side of the drain
// contract and checks the requests), undecodable heartbeats skipped.
#include "autoscaler.hpp"

#include <atomic>

#include "aether/bus/kv.hpp"
#include "aether/bus/serve.hpp"
#include "aether/v1/worker.pb.h"
#include "itest_support.hpp"

using namespace aether;
using namespace aether::autoscaler;
using namespace aether::autoscaler::testing;

namespace {

AutoscalerConfig controller_config(const std::string& id) {
  AutoscalerConfig c;
  c.id = id;
  c.policy.min_workers = 0;
  c.policy.max_workers = 10;
  c.policy.headroom = 0;
  c.policy.max_step_up = 4;
  c.policy.stabilisation = 1s;
  c.policy.worker_capacity = {4, 4096, 4};
  c.lease.ttl = 1s;
  c.eval_interval = 200ms;
  c.retry_initial = 200ms;
  c.retry_max = 2s;
  c.provision = std::nullopt;
  return c;
}

std::string heartbeat(const std::string& id, int vms, bool draining = false) {
  v1::WorkerStatus s;
  s.set_worker_id(id);
  s.set_node("node-" + id);
  s.mutable_capacity()->set_vcpus(4);
  s.mutable_capacity()->set_memory_mib(4096);
  s.mutable_capacity()->set_max_vms(4);
  s.mutable_used()->set_vcpus(static_cast<std::uint32_t>(vms));
  s.mutable_used()->set_memory_mib(static_cast<std::uint64_t>(256 * vms));
  s.mutable_used()->set_max_vms(static_cast<std::uint32_t>(vms));
  s.set_vms(static_cast<std::uint32_t>(vms));
  s.set_draining(draining);
  return s.SerializeAsString();
}

// Dry-run, but as the local actuator beside make run's own worker: workers
// named fixed-* are not its own.
class BesideFixedWorkers final : public Actuator {
 public:
  [[nodiscard]] std::string_view kind() const override { return "dry-run"; }
  [[nodiscard]] Result<int> current() override { return inner_.current(); }
  [[nodiscard]] Result<void> scale(const ScaleRequest& r) override {
    ++scales_;
    return inner_.scale(r);
  }
  [[nodiscard]] bool managed(const std::string& id) override { return !id.starts_with("fixed-"); }
  std::atomic<int> scales_{0};

 private:
  DryRunActuator inner_{[] { return 0; }};
};

}  // namespace

TEST_CASE("controller: a worker the actuator does not manage is capacity it does not add again") {
  auto b = Bus::start();
  DecisionRecorder decisions(b.connection);
  auto kv = bus::KvBucket::open(b.connection, "aether_workers");
  REQUIRE(kv);
  REQUIRE(kv->put("fixed-1", heartbeat("fixed-1", 0)));  // room for 4 VMs
  http::Registry registry;
  auto owned = std::make_unique<BesideFixedWorkers>();
  auto* actuator = owned.get();
  Autoscaler scaler(controller_config("as-fixed"), b.connection, std::move(owned), registry);
  REQUIRE(scaler.start());
  REQUIRE(wait_for([&] { return scaler.is_leader(); }, 5s));
  // Two queued creates fit on fixed-1: the backlog is seen, the target stays
  // 0 and nothing is added (it used to scale 0 -> 1 here).
  for (int i = 0; i < 2; ++i) publish_create(b.connection, create_vm("fx-" + std::to_string(i)));
  REQUIRE(wait_for(
      [&] {
        return registry.serialize().find("aether_autoscaler_backlog{consumer=\"vm-create\"} 2") !=
               std::string::npos;
      },
      5s));
  std::this_thread::sleep_for(600ms);  // a few evaluations with that backlog
  INFO(decisions.dump());
  CHECK_THAT(registry.serialize(), Catch::Contains("aether_autoscaler_desired_workers 0"));
  CHECK(actuator->scales_ == 0);
  for (const auto& d : decisions.all()) CHECK(d.action() == v1::SCALE_ACTION_HOLD);
  // Eight in all need two workers of 4: fixed-1 is one, so the actuator adds one.
  for (int i = 2; i < 8; ++i) publish_create(b.connection, create_vm("fx-" + std::to_string(i)));
  auto up = decisions.wait(
      [](const auto& d) { return d.action() == v1::SCALE_ACTION_SCALE_UP && d.to_nodes() == 1; },
      5s);
  REQUIRE(up);
  CHECK(up->from_nodes() == 0);
  CHECK_THAT(up->reason(), Catch::Contains("1 worker(s) not managed by the actuator"));
  REQUIRE(wait_for(
      [&] {
        return registry.serialize().find("aether_autoscaler_backlog{consumer=\"vm-create\"} 8") !=
               std::string::npos;
      },
      5s));
  std::this_thread::sleep_for(600ms);
  for (const auto& d : decisions.all()) {
    if (d.action() == v1::SCALE_ACTION_SCALE_UP) CHECK(d.to_nodes() <= 1);
  }
}

TEST_CASE("controller: creates on the bus scale up at once, the event carries the inputs") {
  auto b = Bus::start();
  DecisionRecorder decisions(b.connection);
  http::Registry registry;
  Autoscaler* self = nullptr;
  auto actuator = std::make_unique<DryRunActuator>([&] { return self->observed_workers(); });
  Autoscaler scaler(controller_config("as-1"), b.connection, std::move(actuator), registry);
  self = &scaler;
  REQUIRE(scaler.start());
  REQUIRE(wait_for([&] { return scaler.is_leader(); }, 5s));
  CHECK(scaler.role() == "leader");
  // Nothing queued: a hold at 0 is reported once.
  auto hold = decisions.wait([](const auto& d) { return d.action() == v1::SCALE_ACTION_HOLD; }, 5s);
  REQUIRE(hold);
  CHECK(hold->to_nodes() == 0);

  for (int i = 0; i < 6; ++i) publish_create(b.connection, create_vm("vm-" + std::to_string(i)));
  // Each create is seen as it is published, so the count may climb in steps
  // (1 then 2); it ends at 2 (6 VMs at 4 per worker) and goes no higher.
  auto up = decisions.wait(
      [](const auto& d) { return d.action() == v1::SCALE_ACTION_SCALE_UP && d.to_nodes() == 2; },
      5s);
  INFO(decisions.dump());
  REQUIRE(up);
  auto first_up =
      decisions.wait([](const auto& d) { return d.action() == v1::SCALE_ACTION_SCALE_UP; }, 1s);
  REQUIRE(first_up);
  CHECK(first_up->from_nodes() == 0);
  CHECK(up->leader() == "as-1");
  CHECK(up->queue_backlog() >= 1);
  CHECK_FALSE(up->decision_id().empty());
  CHECK(up->has_at());
  CHECK_THAT(up->reason(), Catch::Contains("queued creates"));
  bool on_subject = false;
  for (const auto& s : decisions.subjects()) on_subject |= s == "aether.evt.scale.scale_up";
  CHECK(on_subject);
  // The event is in the stream too (the api projects it from there).
  auto last = b.connection.request_raw("$JS.API.STREAM.MSG.GET.AETHER_EVENTS",
                                       R"({"last_by_subj":"aether.evt.scale.scale_up"})", {}, 2s);
  REQUIRE(last);
  CHECK_THAT(last->data, Catch::Contains("aether.evt.scale.scale_up"));

  // All 6 are counted once JetStream has them; the metric exports the backlog.
  REQUIRE(wait_for(
      [&] {
        return registry.serialize().find("aether_autoscaler_backlog{consumer=\"vm-create\"} 6") !=
               std::string::npos;
      },
      5s));
  const auto text = registry.serialize();
  CHECK_THAT(text, Catch::Contains("aether_autoscaler_desired_workers 2"));
  CHECK_THAT(text, Catch::Contains("aether_autoscaler_actual_workers 2"));
  CHECK_THAT(text, Catch::Contains("aether_autoscaler_leader 1"));
  // At the target now: no scale-up past it for the same backlog.
  std::this_thread::sleep_for(600ms);
  for (const auto& d : decisions.all()) {
    if (d.action() == v1::SCALE_ACTION_SCALE_UP) CHECK(d.to_nodes() <= 2);
  }
}

TEST_CASE("controller: scale-down drains an idle worker and removes it only once it is empty") {
  auto b = Bus::start();
  DecisionRecorder decisions(b.connection);
  auto kv = bus::KvBucket::open(b.connection, "aether_workers");
  REQUIRE(kv);
  REQUIRE(kv->put("w-a", heartbeat("w-a", 0)));
  REQUIRE(kv->put("w-b", heartbeat("w-b", 1)));
  REQUIRE(kv->put("w-junk", "definitely not a WorkerStatus"));

  // w-a's side of aether.worker.<id>.drain: record, and say a VM is still there.
  std::atomic<int> drains{0};
  std::atomic<bool> stop_vms_asked{true};
  auto serve = bus::serve<v1::DrainWorker, v1::DrainReply>(
      b.connection, "aether.worker.w-a.drain", {.service = "fake-worker", .operation = "drain"},
      [&](const v1::DrainWorker& req, const bus::RequestContext&) -> bus::Result<v1::DrainReply> {
        ++drains;
        stop_vms_asked = req.stop_vms();
        v1::DrainReply r;
        r.set_worker_id("w-a");
        r.set_vms_remaining(1);
        return r;
      });
  REQUIRE(serve);
  auto busy = bus::serve<v1::DrainWorker, v1::DrainReply>(
      b.connection, "aether.worker.w-b.drain", {.service = "fake-worker", .operation = "drain"},
      [&](const v1::DrainWorker&, const bus::RequestContext&) -> bus::Result<v1::DrainReply> {
        FAIL_CHECK("the busy worker w-b was drained");
        return v1::DrainReply{};
      });
  REQUIRE(busy);

  http::Registry registry;
  Autoscaler* self = nullptr;
  auto actuator = std::make_unique<DryRunActuator>([&] { return self->observed_workers(); });
  Autoscaler scaler(controller_config("as-1"), b.connection, std::move(actuator), registry);
  self = &scaler;
  REQUIRE(scaler.start());
  REQUIRE(wait_for([&] { return scaler.observed_workers() == 2; }, 5s));  // junk skipped

  auto draining =
      decisions.wait([](const auto& d) { return d.action() == v1::SCALE_ACTION_SCALE_DOWN; }, 10s);
  INFO(decisions.dump());
  REQUIRE(draining);
  CHECK(draining->from_nodes() == 2);
  CHECK(draining->to_nodes() == 1);
  REQUIRE(draining->nodes_size() == 1);
  CHECK(draining->nodes(0) == "node-w-a");
  CHECK_THAT(draining->reason(), Catch::Contains("draining idle w-a"));
  CHECK(drains == 1);
  CHECK_FALSE(stop_vms_asked);

  // Not empty yet: no removal while w-a still reports the VM.
  REQUIRE(kv->put("w-b", heartbeat("w-b", 1)));
  REQUIRE(kv->put("w-a", heartbeat("w-a", 1, true)));
  std::this_thread::sleep_for(1s);
  for (const auto& d : decisions.all()) {
    CHECK_THAT(d.reason(), !Catch::Contains("now empty"));
  }
  // Empty: removed.
  REQUIRE(kv->put("w-a", heartbeat("w-a", 0, true)));
  auto removed = decisions.wait(
      [](const auto& d) { return d.reason().find("now empty: removing") != std::string::npos; },
      5s);
  REQUIRE(removed);
  CHECK(removed->action() == v1::SCALE_ACTION_SCALE_DOWN);
  CHECK(removed->from_nodes() == 2);
  CHECK(removed->to_nodes() == 1);
  CHECK(drains == 1);
  CHECK_THAT(registry.serialize(), Catch::Contains("aether_autoscaler_heartbeats_skipped_total 1"));
}
