// Idempotency-Key validation, request fingerprints, and the store's own
// argument checks (no Redis needed for any of them).
#include <catch2/catch.hpp>

#include "aether/redis/idempotency.hpp"
#include "aether/redis/script.hpp"

using namespace aether::redis;
using namespace std::chrono_literals;

TEST_CASE("Idempotency-Key values: visible ASCII, 1..255 characters") {
  CHECK_FALSE(idempotency_key_problem("3f1c2a7e-0b9d-4c41-9d1e-5b1c0f2a9e77").has_value());
  CHECK_FALSE(idempotency_key_problem(std::string(255, 'k')).has_value());
  CHECK(idempotency_key_problem("")->find("must not be empty") != std::string::npos);
  CHECK(idempotency_key_problem(std::string(256, 'k'))->find("at most 255") != std::string::npos);
  CHECK(idempotency_key_problem("a b")->find("byte 1") != std::string::npos);
  CHECK(idempotency_key_problem("a\nb").has_value());
  CHECK(idempotency_key_problem("caf\xc3\xa9").has_value());
}

TEST_CASE("the request fingerprint changes with method, target and body") {
  const auto base = request_fingerprint("POST", "/v1/vms", R"({"vcpus":1})");
  CHECK(base.size() == 64);
  CHECK(base == request_fingerprint("POST", "/v1/vms", R"({"vcpus":1})"));
  CHECK(base != request_fingerprint("PUT", "/v1/vms", R"({"vcpus":1})"));
  CHECK(base != request_fingerprint("POST", "/v1/vms?wait=ready", R"({"vcpus":1})"));
  CHECK(base != request_fingerprint("POST", "/v1/vms", R"({"vcpus":2})"));
  // The separator keeps the parts apart: moving bytes across them changes it.
  CHECK(request_fingerprint("POST", "/a", "b") != request_fingerprint("POST", "/ab", ""));
}

TEST_CASE("the store refuses bad TTLs, bad keys and claims that are not its own") {
  Pool pool(PoolOptions{});
  IdempotencyOptions bad;
  bad.lock_ttl = 0ms;
  CHECK(IdempotencyStore::create(pool, bad).error().code == Errc::kInvalidArgument);
  bad = {};
  bad.response_ttl = -1ms;
  CHECK(IdempotencyStore::create(pool, bad).error().code == Errc::kInvalidArgument);

  auto store = IdempotencyStore::create(pool);
  REQUIRE(store.has_value());
  CHECK(store->begin("tenant", "a b", "fp").error().code == Errc::kInvalidArgument);
  CHECK(store->begin("", "key", "fp").error().code == Errc::kInvalidArgument);
  Claim replay;
  replay.state = ClaimState::kReplay;
  CHECK(store->complete(replay, {200, {}, ""}).error().code == Errc::kInvalidArgument);
  CHECK(store->release(replay).error().code == Errc::kInvalidArgument);
  Claim claimed;
  claimed.state = ClaimState::kClaimed;
  claimed.token = "t";
  claimed.redis_key = "k";
  CHECK(store->complete(claimed, {99, {}, ""}).error().code == Errc::kInvalidArgument);
  CHECK(store->complete(claimed, {200, {{"X-Bad", "a\r\nSet-Cookie: x"}}, ""}).error().code ==
        Errc::kInvalidArgument);
}

TEST_CASE("pool options are checked") {
  PoolOptions options;
  options.size = 0;
  auto pool = Pool::create(options);
  REQUIRE_FALSE(pool.has_value());
  CHECK(pool.error().message.find("size") != std::string::npos);
  options = {};
  options.command_timeout = 0ms;
  CHECK_FALSE(Pool::create(options).has_value());
}

TEST_CASE("a script's SHA1 is the one Redis computes") {
  // SCRIPT LOAD "return 1" answers e0e1f9fabfc9d4800c877a703b823ac0578ff8db.
  CHECK(sha1_hex("return 1") == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  CHECK(Script("return 1").sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}
