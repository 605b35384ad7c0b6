#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "report.hpp"

using namespace aether::provisioner;

namespace {
NodeReport report_with(CheckResult kvm, bool hypervisor, CheckResult disk) {
  NodeReport r;
  r.node = "node-a.example";
  r.hypervisor_usable = hypervisor;
  r.kvm_usable = kvm == CheckResult::kPass;
  r.runtime = hypervisor ? "qemu" : "";
  r.checks.push_back({"kvm", kvm, "kvm reason", true, {}});
  r.checks.push_back({"cpu-virt-flags", CheckResult::kWarn, "no vmx", false, {}});
  r.checks.push_back({"disk-free", disk, "1 GiB free, 2 GiB needed", true, {}});
  return r;
}
}  // namespace

TEST_CASE("the node state follows the required checks") {
  CHECK(report_with(CheckResult::kPass, true, CheckResult::kPass).state() ==
        NodeState::kProvisioned);
  CHECK(report_with(CheckResult::kFail, false, CheckResult::kPass).state() ==
        NodeState::kUnsupported);
  const auto degraded = report_with(CheckResult::kPass, true, CheckResult::kFail);
  CHECK(degraded.state() == NodeState::kDegraded);
  CHECK_FALSE(degraded.usable());
  CHECK(degraded.failure_summary() == "disk-free: 1 GiB free, 2 GiB needed");
  // An advisory warning never makes a node unusable.
  CHECK(report_with(CheckResult::kPass, true, CheckResult::kPass).usable());
  CHECK_FALSE(NodeReport{}.usable());  // no checks ran: not usable
}

TEST_CASE("the NodeEvent carries the whole report") {
  auto r = report_with(CheckResult::kFail, false, CheckResult::kFail);
  r.asset_sha256["guest/vmlinux"] = std::string(64, 'a');
  r.at = std::chrono::system_clock::from_time_t(1'700'000'000);
  const auto event = report_event(r, {{"aether.io/kvm", "false"}});
  CHECK(event.node() == "node-a.example");
  CHECK(event.state() == aether::v1::NODE_STATE_UNUSABLE);
  CHECK_FALSE(event.usable());
  CHECK(event.reason() == "kvm: kvm reason; disk-free: 1 GiB free, 2 GiB needed");
  REQUIRE(event.checks_size() == 3);
  CHECK(event.checks(1).name() == "cpu-virt-flags");
  CHECK(event.checks(1).result() == "warn");
  CHECK_FALSE(event.checks(1).required());
  CHECK(event.labels().at("aether.io/kvm") == "false");
  CHECK(event.asset_sha256().at("guest/vmlinux") == std::string(64, 'a'));
  CHECK(event.at().seconds() == 1'700'000'000);
  CHECK(report_event(report_with(CheckResult::kPass, true, CheckResult::kFail), {}).state() ==
        aether::v1::NODE_STATE_DEGRADED);
}

TEST_CASE("the JSON and text reports name every check") {
  const auto r = report_with(CheckResult::kFail, false, CheckResult::kPass);
  const auto json = nlohmann::json::parse(report_json(r));
  CHECK(json["state"] == "unsupported");
  CHECK(json["usable"] == false);
  REQUIRE(json["checks"].size() == 3);
  CHECK(json["checks"][0]["name"] == "kvm");
  CHECK(json["checks"][0]["result"] == "fail");
  CHECK(json["checks"][0]["reason"] == "kvm reason");
  const auto text = report_text(r);
  CHECK_THAT(text, Catch::Contains("node node-a.example: unsupported (not usable)"));
  CHECK_THAT(text, Catch::Contains("fail  kvm"));
  CHECK_THAT(text, Catch::Contains("no vmx (advisory)"));
}
