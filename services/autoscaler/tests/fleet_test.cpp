// FleetView (heartbeats in, WorkerView out) and CreateSizes.
#include <catch2/catch.hpp>

#include "create_sizes.hpp"
#include "fleet.hpp"

using namespace aether;
using namespace aether::autoscaler;

TEST_CASE("fleet: heartbeats update workers, deletes remove them, garbage is counted") {
  FleetView fleet;
  v1::WorkerStatus s;
  s.set_worker_id("w-1");
  s.set_node("n1");
  s.mutable_capacity()->set_vcpus(4);
  s.mutable_capacity()->set_memory_mib(4096);
  s.mutable_capacity()->set_max_vms(8);
  s.mutable_used()->set_vcpus(1);
  s.set_vms(1);
  s.set_runtime_fault("qemu missing");
  CHECK(fleet.apply("w-1", s.SerializeAsString(), false) == FleetChange::kUpdated);
  auto snap = fleet.snapshot();
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].id == "w-1");
  CHECK(snap[0].node == "n1");
  CHECK(snap[0].capacity.vcpus == 4);
  CHECK(snap[0].used.vcpus == 1);
  CHECK(snap[0].faulty());
  CHECK_FALSE(snap[0].usable());

  CHECK(fleet.apply("w-2", "\xff\xff not protobuf", false) == FleetChange::kUndecodable);
  CHECK(fleet.undecodable() == 1);
  CHECK(fleet.snapshot().size() == 1);

  CHECK(fleet.apply("w-1", "", true) == FleetChange::kRemoved);
  CHECK(fleet.snapshot().empty());
  CHECK(fleet.apply("w-1", "", true) == FleetChange::kNone);
}

TEST_CASE("fleet: a worker pulling from a create consumer not watched is noted once") {
  FleetView fleet({"vm-create", "vm-create-small", "vm-create-large"});
  v1::WorkerStatus s;
  s.set_worker_id("w-1");
  for (const char* consumer : {"vm-create-small", "vm-create-tiny"}) {
    auto* c = s.add_classes();
    c->set_consumer(consumer);
  }
  CHECK(fleet.apply("w-1", s.SerializeAsString(), false) == FleetChange::kUpdated);
  CHECK(fleet.apply("w-1", s.SerializeAsString(), false) == FleetChange::kUpdated);
  CHECK(fleet.unwatched() == std::vector<std::string>{"w-1/vm-create-tiny"});
  CHECK(fleet.snapshot().size() == 1);  // still counted as a worker

  FleetView unchecked;  // no consumers given: no check
  CHECK(unchecked.apply("w-1", s.SerializeAsString(), false) == FleetChange::kUpdated);
  CHECK(unchecked.unwatched().empty());
}

TEST_CASE("create sizes: the default before any create, then the mean of recent ones") {
  CreateSizes sizes({1, 256, 1}, 2);
  auto before = sizes.queued(3);
  CHECK(before.vcpus == 3);
  CHECK(before.memory_mib == 768);
  CHECK(before.vms == 3);
  sizes.record(2, 1024);
  sizes.record(4, 2048);
  auto mean = sizes.queued(2);
  CHECK(mean.vcpus == 6);
  CHECK(mean.memory_mib == 3072);
  sizes.record(4, 2048);  // window 2: the first one drops out
  CHECK(sizes.queued(1).vcpus == 4);
}
