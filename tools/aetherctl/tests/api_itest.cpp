// The aetherctl binary against the real aether-api process (real nats-server,
// Redis, PostgreSQL with the real schema; no worker: the commands that need
// none, and the errors of the rest): tenant create, vm create/list/get/
// stop/delete, events, workers, nodes, and the documented exit codes.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "api_process.hpp"

using namespace aether;
using namespace aether::api::testing;
using nlohmann::json;

namespace {

struct Run {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
  [[nodiscard]] json parsed() const { return json::parse(out, nullptr, false); }
};

std::string quote(const std::string& s) { return "'" + s + "'"; }

// aetherctl ARGS with the api's URL and `key` in its environment.
Run ctl(const ApiProcess& api, const std::string& key, const std::string& args) {
  static int n = 0;
  const auto err_file = api.state.path() / ("ctl-" + std::to_string(++n) + ".err");
  auto r = devstack::run_command("env AETHER_API_URL=" + quote(api.url()) +
                                 " AETHER_API_KEY=" + quote(key) + " " + AETHERCTL_BIN + " " +
                                 args + " 2>" + err_file.string());
  Run out{r.exit_code, r.output, {}};
  std::ifstream in(err_file);
  out.err.assign(std::istreambuf_iterator<char>(in), {});
  UNSCOPED_INFO("aetherctl " << args << " -> " << r.exit_code << "\nstdout: " << out.out
                             << "\nstderr: " << out.err);
  return out;
}

}  // namespace

TEST_CASE("aetherctl against the real api: commands, output and exit codes") {
  ApiProcess api;
  const auto op = api.tenant_key("ops", "--operator");

  // tenant create prints the new key alone, and it works.
  auto tenant = ctl(api, op, "tenant create acme");
  REQUIRE(tenant.exit_code == 0);
  std::string key = tenant.out;
  while (!key.empty() && key.back() == '\n') key.pop_back();
  REQUIRE(key.rfind("ak_", 0) == 0);
  CHECK(ctl(api, op, "tenant create acme").exit_code == 6);  // exists: conflict

  auto created = ctl(api, key, "-o json vm create --vcpus 1 --memory-mib 256 --label team=a");
  REQUIRE(created.exit_code == 0);
  const std::string id = created.parsed()["id"];
  CHECK(created.parsed()["state"] == "PENDING");
  CHECK(created.parsed()["spec"]["labels"]["team"] == "a");
  ctl(api, key, "vm create --label team=b");

  auto listed = ctl(api, key, "-o json vm list --label team=a");
  REQUIRE(listed.exit_code == 0);
  REQUIRE(listed.parsed()["vms"].size() == 1);
  CHECK(listed.parsed()["vms"][0]["id"] == id);
  auto table = ctl(api, key, "vm list");
  CHECK(table.exit_code == 0);
  CHECK(table.out.find(id) != std::string::npos);
  CHECK(table.out.find("PENDING") != std::string::npos);

  auto got = ctl(api, key, "-o yaml vm get " + id);
  CHECK(got.exit_code == 0);
  CHECK(got.out.find(id) != std::string::npos);

  // Errors: the problem's detail on stderr (not raw JSON), the documented codes.
  auto unknown = ctl(api, key, "vm get 0190a7d2-0000-7000-8000-000000000000");
  CHECK(unknown.exit_code == 5);
  CHECK(unknown.err.find("no VM 0190a7d2") != std::string::npos);
  CHECK(unknown.err.find("{") == std::string::npos);
  CHECK(ctl(api, key, "vm get not-a-uuid").exit_code == 3);
  auto bad_key = ctl(api, "ak_000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro", "vm list");
  CHECK(bad_key.exit_code == 4);
  CHECK(ctl(api, key, "workers").exit_code == 4);  // no operator scope
  auto stop = ctl(api, key, "vm stop " + id);
  CHECK(stop.exit_code == 6);  // PENDING: nothing to stop
  CHECK(stop.err.find("PENDING") != std::string::npos);

  // delete of a PENDING VM no worker took: done by the api, then a conflict.
  auto deleted = ctl(api, key, "-o json vm delete " + id);
  REQUIRE(deleted.exit_code == 0);
  CHECK(deleted.parsed()["state"] == "DELETED");
  CHECK(ctl(api, key, "vm delete " + id).exit_code == 6);
  auto after = ctl(api, key, "-o json vm get " + id);
  CHECK(after.parsed()["state"] == "DELETED");

  // The deletion is an event on the bus, which `events` shows from the start.
  auto events = ctl(api, key, "-o json events --since 0");
  CHECK(events.exit_code == 0);
  CHECK(events.out.find(id) != std::string::npos);
  CHECK(events.out.find("DELETED") != std::string::npos);
  auto history = ctl(api, key, "-o json vm events " + id);
  CHECK(history.exit_code == 0);

  auto workers = ctl(api, op, "-o json workers");
  CHECK(workers.exit_code == 0);
  CHECK(workers.parsed()["workers"].is_array());
  auto nodes = ctl(api, op, "-o json nodes");
  CHECK(nodes.exit_code == 0);
  CHECK(nodes.parsed()["nodes"].is_array());

  // The api gone: unavailable.
  REQUIRE(api.process->stop(std::chrono::seconds(30)));
  CHECK(ctl(api, key, "vm list").exit_code == 7);
}
