// Scenario 3b: a hostile guest. Root inside a VM writes garbage into the
// agent's virtio-serial port (random bytes, a frame header announcing 2 GiB,
// a truncated frame). The kernel may refuse the open (the agent, PID 1,
// holds the port, and a virtio console port takes one opener); if a write
// goes through, the host's frame reader must take it as a broken channel.
// Either way: the VM keeps working or ends FAILED with a reason, the worker
// keeps serving (another VM execs, a new VM boots), nothing is doubled.
#include <catch2/catch.hpp>

#include <string>

#include "e2e_env.hpp"
#include "rest.hpp"
#include "suite.hpp"

using namespace aether::e2e;
using namespace std::chrono_literals;

namespace {

// Runs in the guest as root (busybox sh): every virtio port, each write's
// exit code on its own line, so the scenario can say what the guest managed.
const char* const kGarbage = R"(
for p in /sys/class/virtio-ports/*; do
  d=/dev/${p##*/}
  echo "port $(cat "$p/name") $d"
  head -c 65536 /dev/urandom > "$d"; echo "random rc=$?"
  printf '\177\377\377\377xx' > "$d"; echo "huge rc=$?"
  printf '\000\000\001\000\012\003abc' > "$d"; echo "truncated rc=$?"
done
echo done
)";

}  // namespace

TEST_CASE("a guest writing garbage into its agent channel harms nothing else", "[hostile]") {
  std::string why;
  const auto tenant = make_tenant("e2e-guest", Json::object(), why);
  INFO(why);
  REQUIRE(!tenant.id.empty());
  Rest rest(env().api_url, tenant.key);

  const auto bystander = rest.create_vm(small_vm("hostile-guest"));
  const auto hostile = rest.create_vm(small_vm("hostile-guest"));
  REQUIRE(!bystander.empty());
  REQUIRE(!hostile.empty());
  REQUIRE(rest.wait_state(bystander, {"READY", "FAILED"}, 180s).value("state", "") == "READY");
  REQUIRE(rest.wait_state(hostile, {"READY", "FAILED"}, 180s).value("state", "") == "READY");

  const auto garbage = rest.exec(hostile, {"/bin/sh", "-c", kGarbage});
  // What the guest could do: printed for the note; a 200 with the script's
  // output, or an error once the host saw the channel broken mid-exec.
  WARN("garbage exec: " << garbage.describe());
  const bool wrote = garbage.status == 200 &&
                     garbage.json().value("stdout", "").find(" rc=0") != std::string::npos;

  // The hostile VM: still serving commands, or FAILED with a reason.
  bool settled = eventually(60s, [&] {
    auto ex = rest.exec(hostile, {"echo", "after-garbage"});
    if (ex.status == 200) return ex.json().value("stdout", "") == "after-garbage\n";
    const auto vm = rest.get("/v1/vms/" + hostile).json();
    return vm.value("state", "") == "FAILED" && !vm.value("reason", "").empty();
  });
  const auto vm = rest.get("/v1/vms/" + hostile).json();
  INFO("hostile vm: " << vm.dump() << (wrote ? " (a garbage write went through)" : ""));
  CHECK(settled);
  const auto events = vm_events(rest, hostile);
  CHECK(count_state(events, "READY") == 1);

  // Everything else: the bystander execs, a new VM boots and execs.
  auto ex = rest.exec(bystander, {"echo", "bystander"});
  INFO("bystander exec: " << ex.describe());
  CHECK(ex.status == 200);
  CHECK(ex.json().value("stdout", "") == "bystander\n");
  const auto after = rest.create_vm(small_vm("hostile-guest"));
  REQUIRE(!after.empty());
  CHECK(rest.wait_state(after, {"READY", "FAILED"}, 180s).value("state", "") == "READY");
  auto ex2 = rest.exec(after, {"echo", "new"});
  CHECK(ex2.status == 200);
  dispose(rest, {bystander, hostile, after});
}
