// Scenario 1: a VM's whole life, through REST and through the aetherctl
// binary: create -> READY -> exec with output -> files -> stop -> delete.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>

#include "aether/digest/sha256.hpp"
#include "e2e_env.hpp"
#include "rest.hpp"
#include "suite.hpp"

using namespace aether::e2e;
using namespace std::chrono_literals;

TEST_CASE("a VM's life through REST", "[life]") {
  Rest rest;
  const auto id = rest.create_vm(small_vm("life-rest"));
  INFO("create: " << rest.last().describe());
  REQUIRE(!id.empty());
  CHECK(rest.last().status == 202);
  CHECK(rest.last().header("location").find(id) != std::string::npos);

  auto vm = rest.wait_state(id, {"READY", "FAILED"}, 180s);
  INFO("vm: " << vm.dump());
  REQUIRE(vm.value("state", "") == "READY");
  CHECK(!vm.value("workerId", "").empty());

  // exec: stdout, stderr and the exit code all come back from the guest.
  auto ex = rest.exec(id, {"sh", "-c", "echo out-$((6*7)); echo err-1 >&2; uname -n; exit 3"});
  INFO("exec: " << ex.describe());
  REQUIRE(ex.status == 200);
  auto r = ex.json();
  CHECK(r.value("exitCode", -1) == 3);
  CHECK(r.value("stdout", "").rfind("out-42\n", 0) == 0);
  CHECK(r.value("stderr", "") == "err-1\n");
  // The host name is the guest's, not this machine's.
  char host[256] = {};
  (void)gethostname(host, sizeof host - 1);
  CHECK(r.value("stdout", "").find(std::string(host) + "\n") == std::string::npos);

  // files: bytes in, the same bytes out, ETag the sha256 both ways.
  std::string data = "e2e file\n";
  for (int i = 0; i < 256; ++i) data += static_cast<char>(i);
  const auto sha = aether::digest::sha256_hex(data);
  auto put = rest.call("PUT", "/v1/vms/" + id + "/files?path=/tmp/e2e.bin", data,
                       "application/octet-stream");
  INFO("put: " << put.describe());
  REQUIRE(put.status == 200);
  CHECK(put.json().value("sha256", "") == sha);
  CHECK(put.json().value("size", 0) == static_cast<int>(data.size()));
  CHECK(put.header("etag") == "\"" + sha + "\"");
  auto got = rest.get("/v1/vms/" + id + "/files?path=/tmp/e2e.bin");
  REQUIRE(got.status == 200);
  CHECK(got.body == data);
  CHECK(got.header("etag") == "\"" + sha + "\"");
  // The guest sees the same bytes.
  auto sum = rest.exec(id, {"sha256sum", "/tmp/e2e.bin"});
  CHECK(sum.json().value("stdout", "").rfind(sha, 0) == 0);
  auto missing = rest.get("/v1/vms/" + id + "/files?path=/tmp/no-such-file");
  // A missing file is the caller's error (the worker's 4xx passed on), named.
  INFO("missing file: " << missing.describe());
  CHECK((missing.status == 404 || missing.status == 400));
  CHECK(missing.body.find("no-such-file") != std::string::npos);

  // stop, then delete.
  auto stop = rest.post("/v1/vms/" + id + "/stop", Json{{"graceSeconds", 1}});
  INFO("stop: " << stop.describe());
  REQUIRE(stop.status == 202);
  vm = rest.wait_state(id, {"STOPPED", "FAILED"}, 60s);
  CHECK(vm.value("state", "") == "STOPPED");
  auto del = rest.call("DELETE", "/v1/vms/" + id);
  INFO("delete: " << del.describe());
  CHECK(del.status == 202);
  vm = rest.wait_state(id, {"DELETED"}, 60s);
  CHECK(vm.value("state", "") == "DELETED");
  // Once deleted, it takes no more commands.
  CHECK(rest.exec(id, {"true"}).status == 409);

  // Its history, in order.
  auto events = vm_events(rest, id);
  INFO("events: " << events.dump());
  CHECK(count_state(events, "READY") == 1);
  CHECK(count_state(events, "STOPPED") == 1);
  CHECK(count_state(events, "DELETED") == 1);
}

TEST_CASE("a VM's life through aetherctl", "[life][aetherctl]") {
  const auto& ctl = env().aetherctl;
  if (ctl.empty()) {
    WARN("SKIP: aetherctl not found (set AETHER_E2E_AETHERCTL)");
    return;
  }
  const std::string q = shell_quote(ctl);
  // aetherctl reads AETHER_API_URL and AETHER_API_KEY from the environment.
  auto created =
      run_shell(q + " -o json vm create --wait --wait-timeout 180 --ttl 900 --label e2e=life-ctl");
  INFO("create: exit " << created.exit_code << " out " << created.out << " err " << created.err);
  REQUIRE(created.exit_code == 0);
  auto vm = Json::parse(created.out, nullptr, false);
  REQUIRE(vm.is_object());
  const std::string id = vm.value("id", "");
  REQUIRE(!id.empty());
  CHECK(vm.value("state", "") == "READY");

  auto ex = run_shell(q + " vm exec " + id + " -- sh -c 'echo ctl-$((6*7)); exit 4'");
  INFO("exec: exit " << ex.exit_code << " out " << ex.out << " err " << ex.err);
  CHECK(ex.exit_code == 4);  // the guest's exit code
  CHECK(ex.out == "ctl-42\n");

  const std::string text = "copied through aetherctl\n";
  auto put = run_shell(q + " cp - " + id + ":/tmp/ctl.txt", text);
  INFO("cp in: " << put.err);
  CHECK(put.exit_code == 0);
  auto get = run_shell(q + " cp " + id + ":/tmp/ctl.txt -");
  INFO("cp out: " << get.err);
  CHECK(get.exit_code == 0);
  CHECK(get.out == text);

  auto stop = run_shell(q + " vm stop " + id + " --grace 1");
  INFO("stop: " << stop.err);
  CHECK(stop.exit_code == 0);
  auto waited = run_shell(q + " vm wait " + id + " --state STOPPED --wait-timeout 60");
  INFO("wait: " << waited.err);
  CHECK(waited.exit_code == 0);
  auto del = run_shell(q + " vm delete " + id);
  INFO("delete: " << del.err);
  CHECK(del.exit_code == 0);
  // A VM that does not exist: exit 5 (not found), a one-line message.
  auto none = run_shell(q + " vm get " + new_uuid_v7());
  CHECK(none.exit_code == 5);
  CHECK(none.err.find('{') == std::string::npos);
}
