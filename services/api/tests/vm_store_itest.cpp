// VmStore against a real PostgreSQL: PENDING rows, quotas, tenant isolation
// on every query, keyset pagination, filters, events, nodes, decisions.
#include <set>

#include "fixture.hpp"
#include "ids.hpp"
#include "node_store.hpp"
#include "tenant_store.hpp"
#include "vm_store.hpp"

using namespace aether;
using namespace aether::api;
using namespace aether::api::testing;

namespace {

NewVm vm_for(const std::string& tenant, int vcpus = 1, int mem = 256,
             const std::string& labels = "{}") {
  const std::string spec = R"({"template":"default","vcpus":)" + std::to_string(vcpus) +
                           R"(,"memoryMib":)" + std::to_string(mem) + R"(,"labels":)" + labels +
                           "}";
  return NewVm{new_uuid_v7(), tenant, spec, vcpus, mem};
}

struct Stores {
  std::unique_ptr<pg::Pool> pool = pool_for(fresh_database());
  TenantStore tenants{*pool};
  VmStore vms{*pool};
  Stores() {
    REQUIRE(tenants.create({"acme", "", {}}));
    REQUIRE(tenants.create({"other", "", {}}));
  }
};

}  // namespace

TEST_CASE("a PENDING row is readable at once - only by its tenant", "[api]") {
  Stores s;
  auto nv = vm_for("acme", 2, 512, R"({"team":"a"})");
  auto created = s.vms.create_pending(nv);
  REQUIRE(created);
  CHECK(created->state == "PENDING");
  CHECK(created->last_event_seq == 0);
  CHECK(created->spec_json.find("\"memoryMib\": 512") != std::string::npos);

  auto mine = s.vms.get("acme", nv.id);
  REQUIRE(mine);
  REQUIRE(mine->has_value());
  CHECK((*mine)->id == nv.id);
  // Another tenant sees nothing: not in get, list, events, usage, mark_failed.
  auto theirs = s.vms.get("other", nv.id);
  REQUIRE(theirs);
  CHECK_FALSE(theirs->has_value());
  auto their_list = s.vms.list("other", {});
  REQUIRE(their_list);
  CHECK(their_list->vms.empty());
  auto their_events = s.vms.events("other", nv.id);
  REQUIRE(their_events);
  CHECK_FALSE(their_events->has_value());
  auto their_usage = s.vms.usage("other");
  REQUIRE(their_usage);
  CHECK(their_usage->vms == 0);
  auto their_fail = s.vms.mark_failed("other", nv.id, "x");
  REQUIRE(their_fail);
  CHECK_FALSE(their_fail->has_value());
  CHECK((*s.vms.get("acme", nv.id))->state == "PENDING");

  auto my_events = s.vms.events("acme", nv.id);
  REQUIRE(my_events);
  REQUIRE(my_events->has_value());
  CHECK((*my_events)->empty());

  // Bad ids are "not found", never a database error.
  auto bad = s.vms.get("acme", "../../etc");
  REQUIRE(bad);
  CHECK_FALSE(bad->has_value());
  auto dup = s.vms.create_pending(nv);
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == StoreErrc::kConflict);

  auto failed = s.vms.mark_failed("acme", nv.id, "bus unavailable");
  REQUIRE(failed);
  REQUIRE(failed->has_value());
  CHECK((*failed)->state == "FAILED");
  CHECK((*failed)->reason == "bus unavailable");
}

TEST_CASE("quotas: max_vms - vCPUs and memory over live VMs - defaults for NULL", "[api]") {
  Stores s;
  REQUIRE(s.tenants.set_quotas("acme", {.max_vms = 2, .max_vcpus = 3, .max_memory_mib = 1024}));
  REQUIRE(s.vms.create_pending(vm_for("acme", 1, 256)));
  auto too_many_cpus = s.vms.create_pending(vm_for("acme", 3, 256));
  REQUIRE_FALSE(too_many_cpus);
  CHECK(too_many_cpus.error().code == StoreErrc::kQuotaExceeded);
  CHECK(too_many_cpus.error().field == "max_vcpus");
  auto too_much_mem = s.vms.create_pending(vm_for("acme", 1, 1000));
  REQUIRE_FALSE(too_much_mem);
  CHECK(too_much_mem.error().field == "max_memory_mib");
  auto second = s.vms.create_pending(vm_for("acme", 1, 256));
  REQUIRE(second);
  auto third = s.vms.create_pending(vm_for("acme", 1, 256));
  REQUIRE_FALSE(third);
  CHECK(third.error().field == "max_vms");
  CHECK(third.error().message.find("2 live VMs") != std::string::npos);

  auto usage = s.vms.usage("acme");
  REQUIRE(usage);
  CHECK(usage->vms == 2);
  CHECK(usage->vcpus == 2);
  CHECK(usage->memory_mib == 512);
  // A finished VM frees its share.
  REQUIRE(s.vms.mark_failed("acme", second->id, "test"));
  CHECK(s.vms.create_pending(vm_for("acme", 1, 256)));

  // "other" has NULL quotas: the defaults passed in apply.
  QuotaDefaults defaults{.max_vms = 1, .max_vcpus = 32, .max_memory_mib = 65536};
  REQUIRE(s.vms.create_pending(vm_for("other"), defaults));
  auto over = s.vms.create_pending(vm_for("other"), defaults);
  REQUIRE_FALSE(over);
  CHECK(over.error().field == "max_vms");

  auto ghost = s.vms.create_pending(vm_for("ghost"));
  REQUIRE_FALSE(ghost);
  CHECK(ghost.error().code == StoreErrc::kNotFound);
  REQUIRE(s.tenants.set_disabled("other", true));
  auto disabled = s.vms.create_pending(vm_for("other"), {.max_vms = 100});
  REQUIRE_FALSE(disabled);
  CHECK(disabled.error().code == StoreErrc::kNotFound);
}

TEST_CASE("list: keyset pages cover every VM once - newest first - with filters", "[api]") {
  Stores s;
  REQUIRE(s.tenants.set_quotas("acme", {.max_vms = 100, .max_vcpus = 100}));
  std::vector<std::string> ids;
  for (int i = 0; i < 23; ++i) {
    auto v = s.vms.create_pending(vm_for("acme", 1, 1, i % 3 == 0 ? R"({"team":"x"})" : "{}"));
    REQUIRE(v);
    ids.push_back(v->id);
  }
  REQUIRE(s.vms.create_pending(vm_for("other")));
  // Equal created_at values must still page exactly (the id breaks the tie).
  REQUIRE(
      s.pool->query("UPDATE vms SET created_at = '2026-01-01T00:00:00Z' WHERE tenant_id = "
                    "'acme' AND id = ANY($1::uuid[])",
                    {"{" + ids[4] + "," + ids[5] + "," + ids[6] + "}"}));

  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto page = s.vms.list("acme", {.limit = 5, .cursor = cursor});
    REQUIRE(page);
    ++pages;
    for (const auto& v : page->vms) {
      CHECK(v.tenant_id == "acme");
      seen.push_back(v.id);
    }
    // A VM created between pages does not shift the pages already read.
    if (pages == 2) REQUIRE(s.vms.create_pending(vm_for("acme")));
    if (!page->next_cursor) break;
    cursor = *page->next_cursor;
  }
  CHECK(pages == 5);
  CHECK(seen.size() == 23);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 23);
  // Newest first: ids are UUIDv7 and created_at grows, except the three moved back.
  CHECK(seen.front() == ids.back());

  auto team = s.vms.list("acme", {.labels = {{"team", "x"}}, .limit = 100});
  REQUIRE(team);
  CHECK(team->vms.size() == 8);
  REQUIRE(s.vms.mark_failed("acme", ids[0], "t"));
  auto failed = s.vms.list("acme", {.state = "FAILED"});
  REQUIRE(failed);
  REQUIRE(failed->vms.size() == 1);
  CHECK(failed->vms[0].id == ids[0]);
  CHECK_FALSE(failed->next_cursor);

  auto bad_limit = s.vms.list("acme", {.limit = 0});
  REQUIRE_FALSE(bad_limit);
  CHECK(bad_limit.error().field == "limit");
  auto bad_state = s.vms.list("acme", {.state = "RUNNING"});
  REQUIRE_FALSE(bad_state);
  CHECK(bad_state.error().field == "state");
  auto bad_cursor = s.vms.list("acme", {.cursor = "bm9wZQ"});
  REQUIRE_FALSE(bad_cursor);
  CHECK(bad_cursor.error().field == "cursor");
  CHECK(bad_cursor.error().http_status() == 422);
}

TEST_CASE("events in stream order - nodes and scale decisions for operators", "[api]") {
  Stores s;
  auto v = s.vms.create_pending(vm_for("acme"));
  REQUIRE(v);
  REQUIRE(s.pool->query(
      "INSERT INTO vm_events (stream_seq, vm_id, tenant_id, state, at) VALUES"
      " (7, $1::uuid, 'acme', 'BOOTING', now()), (3, $1::uuid, 'acme', 'SCHEDULED', now()),"
      " (9, $1::uuid, 'other', 'READY', now())",
      {v->id}));
  auto events = s.vms.events("acme", v->id);
  REQUIRE(events);
  REQUIRE(events->has_value());
  REQUIRE((*events)->size() == 2);
  CHECK((**events)[0].stream_seq == 3);
  CHECK((**events)[1].state == "BOOTING");
  auto after = s.vms.events("acme", v->id, 3);
  REQUIRE(after);
  CHECK((*after)->size() == 1);

  REQUIRE(
      s.pool->query("INSERT INTO nodes (name, state, kvm_usable, labels) VALUES"
                    " ('n1', 'READY', true, '{\"zone\":\"a\"}'), ('n2', 'REMOVED', false, '{}')"));
  NodeStore nodes(*s.pool);
  auto present = nodes.list();
  REQUIRE(present);
  REQUIRE(present->size() == 1);
  CHECK(present->at(0).kvm_usable);
  CHECK(nodes.list(true)->size() == 2);
  CHECK(nodes.get("n2")->value().state == "REMOVED");

  REQUIRE(s.pool->query(
      "INSERT INTO scale_decisions (id, action, from_nodes, to_nodes, nodes, decided_at) VALUES"
      " ('d1', 'SCALE_UP', 1, 2, '{n2}', now() - interval '1 minute'),"
      " ('d2', 'HOLD', 2, 2, '{}', now())"));
  ScaleDecisionStore decisions(*s.pool);
  auto latest = decisions.latest(10);
  REQUIRE(latest);
  REQUIRE(latest->size() == 2);
  CHECK(latest->at(0).id == "d2");
  CHECK(latest->at(1).nodes == std::vector<std::string>{"n2"});
  auto ups = decisions.latest(10, std::string("SCALE_UP"));
  REQUIRE(ups);
  CHECK(ups->size() == 1);
  CHECK_FALSE(decisions.latest(10, std::string("PANIC")));
}
