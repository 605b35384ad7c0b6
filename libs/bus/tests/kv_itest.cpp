// KV buckets against a real nats-server.
#include <mutex>

#include "fixture.hpp"

using namespace aether::bus;
using namespace std::chrono_literals;

namespace {
KvBucket open_bucket(Connection& bus) {
  REQUIRE(ensure_kv(bus, {.bucket = "test_kv", .history = 5, .file_storage = false}));
  auto kv = KvBucket::open(bus, "test_kv");
  INFO(bus_test::describe(kv));
  REQUIRE(kv);
  return *kv;
}
}  // namespace

TEST_CASE("KV put/get and create-if-absent and compare-and-set and delete") {
  auto stack = bus_test::start_stack();
  auto kv = open_bucket(*stack.bus);

  auto missing = kv.get("lease.autoscaler");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::kNotFound);

  auto created = kv.create("lease.autoscaler", "holder-a");
  INFO(bus_test::describe(created));
  REQUIRE(created);
  auto taken = kv.create("lease.autoscaler", "holder-b");
  REQUIRE_FALSE(taken);
  CHECK(taken.error().code == Errc::kWrongLastRevision);

  auto got = kv.get("lease.autoscaler");
  REQUIRE(got);
  CHECK(got->value == "holder-a");
  CHECK(got->revision == *created);

  auto renewed = kv.update("lease.autoscaler", "holder-a", *created);
  REQUIRE(renewed);
  CHECK(*renewed > *created);
  auto stale = kv.update("lease.autoscaler", "holder-b", *created);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == Errc::kWrongLastRevision);

  auto put = kv.put("workers.w1", "{\"free\":3}");
  REQUIRE(put);
  REQUIRE(kv.erase("workers.w1"));
  auto gone = kv.get("workers.w1");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == Errc::kNotFound);
  // A deleted key may be created again.
  CHECK(kv.create("workers.w1", "{\"free\":4}"));

  auto bad = kv.put("bad key", "x");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::kInvalidArgument);
}

TEST_CASE("KV watch: iterator sees current values and the end marker and then changes") {
  auto stack = bus_test::start_stack();
  auto kv = open_bucket(*stack.bus);
  REQUIRE(kv.put("workers.w1", "1"));
  auto watcher = kv.watch("workers.*");
  REQUIRE(watcher);
  auto initial = watcher->next(2s);
  REQUIRE(initial);
  REQUIRE(initial->has_value());
  CHECK((*initial)->key == "workers.w1");
  auto marker = watcher->next(2s);
  REQUIRE(marker);
  CHECK_FALSE(marker->has_value());
  REQUIRE(kv.put("workers.w2", "2"));
  auto change = watcher->next(2s);
  REQUIRE(change);
  REQUIRE(change->has_value());
  CHECK((*change)->key == "workers.w2");
  CHECK((*change)->op == KvOp::kPut);
  REQUIRE(kv.erase("workers.w2"));
  auto deleted = watcher->next(2s);
  REQUIRE(deleted);
  REQUIRE(deleted->has_value());
  CHECK((*deleted)->op == KvOp::kDelete);
  auto idle = watcher->next(200ms);
  REQUIRE_FALSE(idle);
  CHECK(idle.error().code == Errc::kTimeout);
  watcher->stop();
  auto stopped = watcher->next(200ms);
  REQUIRE_FALSE(stopped);
}

TEST_CASE("KV watch: callback delivery stops when the watch is destroyed") {
  auto stack = bus_test::start_stack();
  auto kv = open_bucket(*stack.bus);
  std::mutex mutex;
  std::vector<std::string> seen;  // guarded by mutex
  auto watch = kv.watch("workers.>",
                        [&](const KvEntry& e) {
                          std::lock_guard lock(mutex);
                          seen.push_back(e.key + "=" + e.value);
                        },
                        {.updates_only = true});
  REQUIRE(watch);
  REQUIRE(kv.put("workers.a", "1"));
  REQUIRE(kv.put("workers.b", "2"));
  CHECK(bus_test::eventually([&] {
    std::lock_guard lock(mutex);
    return seen.size() == 2;
  }));
  watch->reset();
  REQUIRE(kv.put("workers.c", "3"));
  std::this_thread::sleep_for(300ms);
  std::lock_guard lock(mutex);
  CHECK(seen == std::vector<std::string>{"workers.a=1", "workers.b=2"});
}
