// VmReadCache in-process (the loader stands for VmStore::get; the itest
// ApiStack runs the cache against real PostgreSQL and NATS): hits, tenant
// scoping, TTL, invalidation, the hold after a bus event, and a load racing
// an invalidation.
#include <catch2/catch.hpp>

#include "vm_cache_invalidator.hpp"
#include "vm_read_cache.hpp"

using namespace aether::api;
using namespace std::chrono_literals;

namespace {

struct Rows {
  std::map<std::string, VmRecord> by_id;
  int loads = 0;
  std::function<void()> during_load;
  VmReadCache::Loader loader() {
    return [this](const std::string& tenant,
                  const std::string& id) -> StoreResult<std::optional<VmRecord>> {
      ++loads;
      std::optional<VmRecord> found;
      auto it = by_id.find(id);
      if (it != by_id.end() && it->second.tenant_id == tenant) found = it->second;
      if (during_load) during_load();  // after the read: what changes now is not in `found`
      return found;
    };
  }
  void put(const std::string& id, const std::string& tenant, const std::string& state) {
    by_id[id] = VmRecord{.id = id, .tenant_id = tenant, .state = state};
  }
};

struct Clock {
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
};

VmReadCache make(Clock& clock, std::chrono::milliseconds ttl = 1000ms) {
  return VmReadCache({.ttl = ttl, .hold = ttl, .now = [&clock] { return clock.t; }});
}

std::string state_of(const StoreResult<std::optional<VmRecord>>& r) {
  REQUIRE(r.has_value());
  return *r ? (*r)->state : "none";
}

}  // namespace

TEST_CASE("a found row is served from memory until its TTL, then read again") {
  Clock clock;
  Rows rows;
  rows.put("vm1", "acme", "READY");
  auto cache = make(clock);
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "READY");
  rows.put("vm1", "acme", "STOPPED");  // changed behind the cache's back
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "READY");
  CHECK(rows.loads == 1);
  clock.t += 1001ms;
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "STOPPED");
  CHECK(rows.loads == 2);
  CHECK(cache.stats().hits == 1);
  CHECK(cache.stats().misses == 2);
}

TEST_CASE("another tenant's cached VM is not found, exactly as PostgreSQL answers") {
  Clock clock;
  Rows rows;
  rows.put("vm1", "acme", "READY");
  auto cache = make(clock);
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "READY");
  CHECK(state_of(cache.get("evil", "vm1", rows.loader())) == "none");
  CHECK(rows.loads == 1);  // from the cached row's tenant, no query
  // Uncached, the loader says the same.
  VmReadCache cold = make(clock);
  CHECK(state_of(cold.get("evil", "vm1", rows.loader())) == "none");
}

TEST_CASE("misses are not cached: a VM created after a 404 is found at once") {
  Clock clock;
  Rows rows;
  auto cache = make(clock);
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "none");
  rows.put("vm1", "acme", "PENDING");
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "PENDING");
  CHECK(cache.size() == 1);
}

TEST_CASE("invalidate drops the row: the next read sees PostgreSQL") {
  Clock clock;
  Rows rows;
  rows.put("vm1", "acme", "BOOTING");
  auto cache = make(clock);
  (void)cache.get("acme", "vm1", rows.loader());
  rows.put("vm1", "acme", "READY");
  cache.invalidate("vm1");
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "READY");
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "READY");
  CHECK(rows.loads == 2);
}

TEST_CASE("after a bus event the VM is read from PostgreSQL, not cached, for the hold") {
  Clock clock;
  Rows rows;
  rows.put("vm1", "acme", "BOOTING");
  auto cache = make(clock);
  (void)cache.get("acme", "vm1", rows.loader());
  cache.invalidate_pending("vm1");  // the event; the projector has not committed yet
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "BOOTING");
  rows.put("vm1", "acme", "READY");  // the projector commits
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "READY");
  CHECK(rows.loads == 3);
  clock.t += 1001ms;  // hold over: cached again
  (void)cache.get("acme", "vm1", rows.loader());
  (void)cache.get("acme", "vm1", rows.loader());
  CHECK(rows.loads == 4);
}

TEST_CASE("a row loaded while an invalidation happened is not stored (it may be old)") {
  Clock clock;
  Rows rows;
  rows.put("vm1", "acme", "BOOTING");
  auto cache = make(clock);
  rows.during_load = [&] {
    rows.during_load = nullptr;
    cache.invalidate("vm1");  // the projector committed READY while we read BOOTING
    rows.put("vm1", "acme", "READY");
  };
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "BOOTING");
  CHECK(cache.size() == 0);
  CHECK(state_of(cache.get("acme", "vm1", rows.loader())) == "READY");
}

TEST_CASE("TTL 0 disables the cache: every read is a load") {
  Clock clock;
  Rows rows;
  rows.put("vm1", "acme", "READY");
  auto cache = make(clock, 0ms);
  CHECK_FALSE(cache.enabled());
  (void)cache.get("acme", "vm1", rows.loader());
  (void)cache.get("acme", "vm1", rows.loader());
  CHECK(rows.loads == 2);
}

TEST_CASE("vm ids are read from event subjects, anything else is ignored") {
  CHECK(vm_id_of_event_subject("aether.evt.vm.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.ready") ==
        "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
  CHECK(vm_id_of_event_subject("aether.evt.vm.abc.x.y") == "abc");
  CHECK(vm_id_of_event_subject("aether.evt.vm.abc").empty());  // no state token
  CHECK(vm_id_of_event_subject("aether.evt.vm..ready").empty());
  CHECK(vm_id_of_event_subject("aether.evt.node.n1.ready").empty());
  CHECK(vm_id_of_event_subject("").empty());
}

TEST_CASE("peek answers only from memory: hits, other tenants, nothing for misses or holds") {
  Clock clock;
  Rows rows;
  rows.put("vm1", "acme", "READY");
  auto cache = make(clock);
  CHECK_FALSE(cache.peek("acme", "vm1").has_value());  // not loaded yet: get() must answer
  CHECK(rows.loads == 0);
  (void)cache.get("acme", "vm1", rows.loader());
  auto hit = cache.peek("acme", "vm1");
  REQUIRE(hit.has_value());
  REQUIRE(hit->has_value());
  CHECK((*hit)->state == "READY");
  auto other = cache.peek("globex", "vm1");  // cached, another tenant's: not found
  REQUIRE(other.has_value());
  CHECK_FALSE(other->has_value());
  cache.invalidate_pending("vm1");  // held: only PostgreSQL may answer
  CHECK_FALSE(cache.peek("acme", "vm1").has_value());
  clock.t += 1001ms;
  (void)cache.get("acme", "vm1", rows.loader());
  clock.t += 1001ms;  // expired
  CHECK_FALSE(cache.peek("acme", "vm1").has_value());
  CHECK(rows.loads == 2);
}
