// Idempotency-Key storage against a real redis-server: replay, mismatch,
// in progress, expiry of a crashed request's claim, release, refresh,
// concurrent claims, and Redis stopped and started again.
#include <catch2/catch.hpp>
#include <thread>

#include "aether/redis/idempotency.hpp"
#include "itest_support.hpp"

using namespace aether::redis;
using namespace aether::redis::testing;
using namespace std::chrono_literals;

namespace {

IdempotencyStore make_store(Pool& pool, IdempotencyOptions options = {}) {
  auto store = IdempotencyStore::create(pool, std::move(options));
  REQUIRE(store.has_value());
  return std::move(*store);
}

Claim begin(const IdempotencyStore& store, const char* scope, const char* key,
            const std::string& fingerprint) {
  auto claim = store.begin(scope, key, fingerprint);
  INFO((claim ? std::string() : claim.error().message));
  REQUIRE(claim.has_value());
  return std::move(*claim);
}

const std::string kCreate = request_fingerprint("POST", "/v1/vms", R"({"vcpus":1})");
const std::string kOther = request_fingerprint("POST", "/v1/vms", R"({"vcpus":2})");

}  // namespace

TEST_CASE("the same key and request replays the first response") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto store = make_store(*pool);
  auto first = begin(store, "acme", "key-1", kCreate);
  REQUIRE(first.state == ClaimState::kClaimed);
  const StoredResponse response{
      202,
      {{"Content-Type", "application/json"}, {"Location", "/v1/vms/0192-abc"}},
      std::string("{\"id\":\"0192-abc\"}\0tail", 23)};
  auto stored = store.complete(first, response);
  REQUIRE(stored.has_value());
  CHECK(*stored);

  for (int i = 0; i < 2; ++i) {
    auto again = begin(store, "acme", "key-1", kCreate);
    REQUIRE(again.state == ClaimState::kReplay);
    REQUIRE(again.response.has_value());
    CHECK(again.response->status == 202);
    REQUIRE(again.response->headers.size() == 2);
    CHECK(again.response->headers[0].name == "Content-Type");
    CHECK(again.response->headers[0].value == "application/json");
    CHECK(again.response->headers[1].name == "Location");
    CHECK(again.response->headers[1].value == "/v1/vms/0192-abc");
    CHECK(again.response->body == response.body);
    CHECK(again.token.empty());
  }
  // Kept for the response TTL (24 h by default), no longer.
  auto pttl = pool->command({"PTTL", "aether:idem:acme:key-1"});
  REQUIRE(pttl.has_value());
  CHECK(pttl->integer() > 23 * 3600 * 1000LL);
  CHECK(pttl->integer() <= 24 * 3600 * 1000LL);
}

TEST_CASE("the same key with another request is a mismatch, running or done") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto store = make_store(*pool);
  auto first = begin(store, "acme", "key-1", kCreate);
  REQUIRE(first.state == ClaimState::kClaimed);
  CHECK(begin(store, "acme", "key-1", kOther).state == ClaimState::kMismatch);
  REQUIRE(store.complete(first, {201, {}, "done"}).value());
  auto mismatch = begin(store, "acme", "key-1", kOther);
  CHECK(mismatch.state == ClaimState::kMismatch);
  CHECK_FALSE(mismatch.response.has_value());
}

TEST_CASE("while the first request runs, the same request is in progress") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  IdempotencyOptions options;
  options.lock_ttl = 30s;
  auto store = make_store(*pool, options);
  auto first = begin(store, "acme", "key-1", kCreate);
  REQUIRE(first.state == ClaimState::kClaimed);
  auto second = begin(store, "acme", "key-1", kCreate);
  CHECK(second.state == ClaimState::kInProgress);
  CHECK(second.retry_after > 0ms);
  CHECK(second.retry_after <= 30s);
  CHECK(second.token.empty());
  // A non-owner cannot complete or release it.
  CHECK(store.complete(second, {200, {}, ""}).error().code == Errc::kInvalidArgument);
}

TEST_CASE("keys are scoped: another tenant's same key is its own") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto store = make_store(*pool);
  REQUIRE(begin(store, "acme", "key-1", kCreate).state == ClaimState::kClaimed);
  CHECK(begin(store, "globex", "key-1", kOther).state == ClaimState::kClaimed);
}

TEST_CASE("a crashed request's claim expires, and its late completion stores nothing") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  IdempotencyOptions options;
  options.lock_ttl = 150ms;
  auto store = make_store(*pool, options);
  auto crashed = begin(store, "acme", "key-1", kCreate);
  REQUIRE(crashed.state == ClaimState::kClaimed);
  CHECK(begin(store, "acme", "key-1", kCreate).state == ClaimState::kInProgress);
  Claim retry;
  CHECK(eventually([&] {
    retry = begin(store, "acme", "key-1", kCreate);
    return retry.state == ClaimState::kClaimed;
  }));
  // The first request comes back late: its claim is gone, the retry's stands.
  auto late = store.complete(crashed, {500, {}, "late"});
  REQUIRE(late.has_value());
  CHECK_FALSE(*late);
  CHECK_FALSE(store.release(crashed).value());
  REQUIRE(store.complete(retry, {202, {}, "retry"}).value());
  auto replay = begin(store, "acme", "key-1", kCreate);
  REQUIRE(replay.state == ClaimState::kReplay);
  CHECK(replay.response->body == "retry");
}

TEST_CASE("release lets the next request run, and refresh keeps a long request's claim") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  IdempotencyOptions options;
  options.lock_ttl = 5s;
  auto store = make_store(*pool, options);
  auto first = begin(store, "acme", "key-1", kCreate);
  REQUIRE(first.state == ClaimState::kClaimed);
  REQUIRE(store.release(first).value());
  auto second = begin(store, "acme", "key-1", kOther);  // released: even another body runs
  REQUIRE(second.state == ClaimState::kClaimed);

  REQUIRE(pool->command({"PEXPIRE", second.redis_key, "1000"}).has_value());
  REQUIRE(store.refresh(second).value());
  auto pttl = pool->command({"PTTL", second.redis_key});
  REQUIRE(pttl.has_value());
  CHECK(pttl->integer() > 1000);
  CHECK(pttl->integer() <= 5000);
}

TEST_CASE("concurrent requests with one key: exactly one runs, the others are in progress") {
  auto server = start_redis();
  auto options = pool_options(server, 8);
  options.acquire_timeout = 5s;
  auto pool = make_pool(options);
  auto store = make_store(*pool);
  for (int round = 0; round < 5; ++round) {
    const std::string key = "concurrent-" + std::to_string(round);
    std::atomic<int> claimed{0}, in_progress{0}, other{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        auto claim = store.begin("acme", key, kCreate);
        if (!claim)
          ++other;
        else if (claim->state == ClaimState::kClaimed)
          ++claimed;
        else if (claim->state == ClaimState::kInProgress)
          ++in_progress;
        else
          ++other;
      });
    go = true;
    for (auto& t : threads) t.join();
    CHECK(claimed == 1);
    CHECK(in_progress == 7);
    CHECK(other == 0);
  }
}

TEST_CASE("the store says unavailable while Redis is down and works once it is back") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto store = make_store(*pool);
  auto claim = begin(store, "acme", "key-1", kCreate);
  REQUIRE(server.stop().has_value());
  auto down = store.begin("acme", "key-2", kCreate);
  REQUIRE_FALSE(down.has_value());
  CHECK(is_unavailable(down.error()));
  auto complete_down = store.complete(claim, {202, {}, ""});
  REQUIRE_FALSE(complete_down.has_value());
  CHECK(is_unavailable(complete_down.error()));
  REQUIRE(server.restart().has_value());
  CHECK(eventually([&] { return store.begin("acme", "key-3", kCreate).has_value(); }));
  CHECK(begin(store, "acme", "key-2", kCreate).state == ClaimState::kClaimed);
}
