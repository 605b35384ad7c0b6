// Tenants, API keys and the Authenticator against a real PostgreSQL.
#include "aether/digest/sha256.hpp"
#include "api_key.hpp"
#include "api_key_store.hpp"
#include "authenticator.hpp"
#include "fixture.hpp"
#include "tenant_command.hpp"
#include "tenant_store.hpp"

#include <sstream>

using namespace aether;
using namespace aether::api;
using namespace aether::api::testing;
using namespace std::chrono_literals;

TEST_CASE("tenants: create - get - quotas - disable - bad ids and duplicates refused", "[api]") {
  auto pool = pool_for(fresh_database());
  TenantStore tenants(*pool);
  auto acme = tenants.create({"acme", "Acme Inc", {.max_vms = 3}});
  REQUIRE(acme);
  CHECK(acme->id == "acme");
  CHECK(acme->quotas.max_vms == 3);
  CHECK_FALSE(acme->quotas.max_vcpus);
  CHECK(acme->created_at.ends_with("Z"));
  CHECK_FALSE(acme->disabled);

  auto dup = tenants.create({"acme", "", {}});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == StoreErrc::kConflict);
  CHECK(dup.error().http_status() == 409);

  for (const char* bad : {"", "Acme", "-acme", "a b", "acme/../x"}) {
    auto r = tenants.create({bad, "", {}});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == StoreErrc::kInvalid);
    CHECK(r.error().field == "id");
  }
  auto negative = tenants.create({"neg", "", {.max_vcpus = -1}});
  REQUIRE_FALSE(negative);
  CHECK(negative.error().field == "max_vcpus");

  auto got = tenants.get("acme");
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->display_name == "Acme Inc");
  auto none = tenants.get("nobody");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());

  auto q = tenants.set_quotas("acme", {.max_vms = 5, .max_vcpus = 8, .max_memory_mib = 4096});
  REQUIRE(q);
  CHECK(q->quotas.max_memory_mib == 4096);
  auto off = tenants.set_disabled("acme", true);
  REQUIRE(off);
  CHECK(off->disabled);
  auto missing = tenants.set_disabled("nobody", true);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == StoreErrc::kNotFound);
}

TEST_CASE("keys: only the sha256 is stored - found by prefix - listed per tenant - revoked",
          "[api]") {
  auto pool = pool_for(fresh_database());
  TenantStore tenants(*pool);
  REQUIRE(tenants.create({"acme", "", {}}));
  REQUIRE(tenants.create({"other", "", {}}));
  ApiKeyStore keys(*pool);
  auto issued = keys.issue({"acme", "ci", {"vms", "operator"}, std::nullopt});
  REQUIRE(issued);
  CHECK(issued->secret.starts_with(issued->key.prefix + "_"));
  CHECK(issued->key.scopes == std::vector<std::string>{"vms", "operator"});
  // The database holds the hash, never the key.
  CHECK(value(*pool, "SELECT key_sha256 FROM api_keys WHERE id = $1::uuid", {issued->key.id}) ==
        digest::sha256_hex(issued->secret));
  CHECK(value(*pool, "SELECT count(*) FROM api_keys WHERE key_sha256 = $1 OR prefix = $1",
              {issued->secret}) == "0");

  auto found = keys.lookup(issued->key.prefix);
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK((*found)->key.tenant_id == "acme");
  CHECK_FALSE((*found)->revoked);

  auto bad_scope = keys.issue({"acme", "", {"root"}, std::nullopt});
  REQUIRE_FALSE(bad_scope);
  CHECK(bad_scope.error().field == "scopes");
  auto no_tenant = keys.issue({"ghost", "", {"vms"}, std::nullopt});
  REQUIRE_FALSE(no_tenant);
  CHECK(no_tenant.error().code == StoreErrc::kNotFound);
  auto bad_time = keys.issue({"acme", "", {"vms"}, "next tuesday"});
  REQUIRE_FALSE(bad_time);
  CHECK(bad_time.error().field == "expires_at");

  REQUIRE(keys.issue({"other", "", {"vms"}, std::nullopt}));
  auto listed = keys.list("acme");
  REQUIRE(listed);
  CHECK(listed->size() == 1);

  // Another tenant cannot revoke acme's key; the operator path (no tenant) can.
  auto foreign = keys.revoke(issued->key.id, std::string("other"));
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().code == StoreErrc::kNotFound);
  auto revoked = keys.revoke(issued->key.id);
  REQUIRE(revoked);
  CHECK(revoked->revoked_at);
  auto not_a_key = keys.revoke("nope");
  REQUIRE_FALSE(not_a_key);
  CHECK(not_a_key.error().code == StoreErrc::kNotFound);
}

namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::now();
  double unix_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  AuthOptions options(std::chrono::milliseconds ttl) {
    AuthOptions o;
    o.cache_ttl = ttl;
    o.steady_now = [this] { return steady; };
    o.unix_now = [this] { return unix_seconds; };
    return o;
  }
};

}  // namespace

TEST_CASE("authenticator: good key - wrong secret - malformed - and the cache", "[api]") {
  auto pool = pool_for(fresh_database());
  TenantStore tenants(*pool);
  REQUIRE(tenants.create({"acme", "", {}}));
  ApiKeyStore keys(*pool);
  auto issued = keys.issue({"acme", "", {"vms"}, std::nullopt});
  REQUIRE(issued);
  FakeClock clock;
  Authenticator auth(keys, clock.options(5000ms));

  auto ok = auth.authenticate_header("Bearer " + issued->secret);
  REQUIRE(ok);
  CHECK(ok->tenant_id == "acme");
  CHECK(ok->key_id == issued->key.id);
  CHECK(ok->has_scope("vms"));
  CHECK_FALSE(ok->has_scope("operator"));
  CHECK(value(*pool, "SELECT last_used_at IS NOT NULL FROM api_keys") == "t");

  // Same prefix, other secret: refused (constant-time hash compare).
  std::string forged = issued->secret;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  auto wrong = auth.authenticate(forged);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == AuthErrc::kUnknownKey);
  CHECK(wrong.error().http_status() == 401);

  CHECK(auth.authenticate_header("").error().code == AuthErrc::kMissing);
  CHECK(auth.authenticate_header("Basic abc").error().code == AuthErrc::kMalformed);
  CHECK(auth.authenticate("ak_nothing").error().code == AuthErrc::kMalformed);
  CHECK(auth.cache_size() == 1);  // only the good key's result

  // Served from the cache: even with PostgreSQL's row gone the key works until the TTL.
  REQUIRE(pool->query("UPDATE api_keys SET revoked_at = now()"));
  CHECK(auth.authenticate(issued->secret));
  clock.steady += 5001ms;
  auto revoked = auth.authenticate(issued->secret);
  REQUIRE_FALSE(revoked);
  CHECK(revoked.error().code == AuthErrc::kRevoked);
}

TEST_CASE("authenticator: revoked - disabled tenant and expiry are refused within the TTL",
          "[api]") {
  auto pool = pool_for(fresh_database());
  TenantStore tenants(*pool);
  REQUIRE(tenants.create({"acme", "", {}}));
  ApiKeyStore keys(*pool);
  FakeClock clock;
  Authenticator auth(keys, clock.options(2000ms));

  SECTION("revoked here: forget() makes it immediate") {
    auto k = keys.issue({"acme", "", {"vms"}, std::nullopt});
    REQUIRE(k);
    REQUIRE(auth.authenticate(k->secret));
    REQUIRE(keys.revoke(k->key.id));
    auth.forget(k->key.id);
    CHECK(auth.authenticate(k->secret).error().code == AuthErrc::kRevoked);
  }
  SECTION("tenant disabled elsewhere: refused once the TTL passed") {
    auto k = keys.issue({"acme", "", {"vms"}, std::nullopt});
    REQUIRE(k);
    REQUIRE(auth.authenticate(k->secret));
    REQUIRE(tenants.set_disabled("acme", true));
    clock.steady += 2001ms;
    CHECK(auth.authenticate(k->secret).error().code == AuthErrc::kTenantDisabled);
    REQUIRE(tenants.set_disabled("acme", false));
    clock.steady += 2001ms;
    CHECK(auth.authenticate(k->secret));
  }
  SECTION("expiry is exact, even from the cache") {
    auto k = keys.issue({"acme", "", {"vms"}, "2999-01-01T00:00:00Z"});
    REQUIRE(k);
    REQUIRE(auth.authenticate(k->secret));
    clock.unix_seconds = 32472144001.0;  // past 2999-01-01
    CHECK(auth.authenticate(k->secret).error().code == AuthErrc::kExpired);
    auto old = keys.issue({"acme", "", {"vms"}, "2020-01-01T00:00:00Z"});
    REQUIRE(old);
    CHECK(auth.authenticate(old->secret).error().code == AuthErrc::kExpired);
  }
}

TEST_CASE("authenticator: PostgreSQL down is a 503 - not a 401", "[api]") {
  auto pool = pool_for(fresh_database());
  ApiKeyStore keys(*pool);
  Authenticator auth(keys);
  auto bogus = generate_api_key();
  pg::Pool dead({.url = "postgresql://aether:aether@127.0.0.1:1/none",
                 .size = 1,
                 .connect_timeout = std::chrono::seconds(1)});
  ApiKeyStore dead_keys(dead);
  Authenticator dead_auth(dead_keys);
  auto r = dead_auth.authenticate(bogus.key);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == AuthErrc::kUnavailable);
  CHECK(r.error().http_status() == 503);
  CHECK(auth.authenticate(bogus.key).error().code == AuthErrc::kUnknownKey);
}

TEST_CASE("tenant create prints the key alone on stdout - and it authenticates", "[api]") {
  auto pool = pool_for(fresh_database());
  std::ostringstream out, err;
  REQUIRE(run_tenant_create({"acme", "Acme", true, false}, *pool, out, err) == 0);
  std::string key = out.str();
  REQUIRE(key.ends_with("\n"));
  key.pop_back();
  CHECK(key_prefix(key));  // nothing but the key
  CHECK(err.str().find("created tenant 'acme'") != std::string::npos);
  CHECK(err.str().find(key) == std::string::npos);  // never echoed elsewhere
  ApiKeyStore keys(*pool);
  Authenticator auth(keys);
  auto who = auth.authenticate(key);
  REQUIRE(who);
  CHECK(who->tenant_id == "acme");
  CHECK(who->has_scope("operator"));

  std::ostringstream out2, err2;
  CHECK(run_tenant_create({"acme", "", false, false}, *pool, out2, err2) == 2);
  CHECK(out2.str().empty());
  CHECK(err2.str().find("exists already") != std::string::npos);
  std::ostringstream out3, err3;
  REQUIRE(run_tenant_create({"acme", "", false, true}, *pool, out3, err3) == 0);
  auto second = auth.authenticate(out3.str().substr(0, out3.str().size() - 1));
  REQUIRE(second);
  CHECK_FALSE(second->has_scope("operator"));
  std::ostringstream out4, err4;
  CHECK(run_tenant_create({"Bad Id", "", false, false}, *pool, out4, err4) == 2);
  CHECK(err4.str().find("must match") != std::string::npos);
}
