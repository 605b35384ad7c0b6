#include "provisioner.hpp"

#include <spdlog/spdlog.h>

namespace aether::provisioner {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

ProvisionerConfig fill_paths(ProvisionerConfig c) {
  c.host.asset_dir = c.asset_dir;
  c.hypervisor.kernel = c.asset_dir / "guest" / "vmlinux";
  c.hypervisor.initrd = c.asset_dir / "guest" / "initramfs.cpio";
  if (c.hypervisor.cache_dir.empty()) c.hypervisor.cache_dir = c.asset_dir / "probe-cache";
  if (c.hypervisor.work_dir.empty()) c.hypervisor.work_dir = c.asset_dir / "probe";
  return c;
}

}  // namespace

Provisioner::Provisioner(ProvisionerConfig config, http::Registry& registry)
    : config_(fill_paths(std::move(config))),
      installer_(config_.asset_dir, config_.fetch),
      registry_(registry),
      install_seconds_(registry.histogram("aether_node_asset_install_seconds",
                                          "Time to install (or verify) one VM asset",
                                          {0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120})),
      install_failures_(registry.counter("aether_node_asset_install_failures_total",
                                         "VM asset installs that failed (source, checksum, disk)")),
      bytes_copied_(registry.counter("aether_node_asset_bytes_copied_total",
                                     "Bytes written while installing VM assets")),
      probe_seconds_(registry.histogram("aether_node_kvm_probe_seconds",
                                        "Wall time of the KVM probe (cached verdicts are fast)",
                                        {0.01, 0.1, 1, 5, 10, 20, 60})),
      usable_(registry.gauge("aether_node_usable",
                             "1 when every required check passed for the runtime")) {}

Check Provisioner::install_assets(NodeReport& report) {
  Check check{"assets", CheckResult::kFail, "", true, {}};
  const auto start = Clock::now();
  std::vector<AssetSource> sources;
  std::string version;
  fs::path manifest_dir = config_.asset_dir / "guest";
  if (!config_.guest_source_dir.empty()) {
    auto manifest = read_guest_manifest(config_.guest_source_dir);
    if (!manifest) {
      check.reason = manifest.error().message;
      check.duration = since(start);
      install_failures_.inc();
      return check;
    }
    sources = manifest->sources;
  }
  if (!config_.template_source_dir.empty()) {
    auto templates = read_template_manifests(config_.template_source_dir);
    if (!templates) {
      check.reason = templates.error().message;
      check.duration = since(start);
      install_failures_.inc();
      return check;
    }
    for (const auto& t : *templates)
      sources.insert(sources.end(), t.sources.begin(), t.sources.end());
  }
  sources.insert(sources.end(), config_.extra_assets.begin(), config_.extra_assets.end());
  last_install_ = installer_.install_all(sources);
  std::size_t copied = 0;
  for (const auto& a : last_install_.assets) {
    install_seconds_.observe(static_cast<double>(a.duration.count()) / 1000.0);
    bytes_copied_.inc(static_cast<double>(a.bytes_copied));
    if (a.error) {
      install_failures_.inc();
      spdlog::error("node {}: {}", config_.node, a.error->message);
    } else if (a.outcome == InstallOutcome::kInstalled) {
      ++copied;
      spdlog::info("node {}: installed {} ({} bytes)", config_.node, a.path.string(),
                   a.bytes_copied);
    }
  }
  if (!sources.empty() && !last_install_.ok()) {
    check.reason = last_install_.failure_summary();
    check.duration = since(start);
    return check;
  }
  // Whatever was installed (now or before): the guest image must be complete
  // and match its own installed manifest.
  auto installed = read_guest_manifest(manifest_dir);
  if (!installed) {
    check.reason = "no installed guest image: " + installed.error().message;
    check.duration = since(start);
    return check;
  }
  for (const auto& source : installed->sources) {
    if (source.name == "guest/manifest.json") continue;
    auto sum = sha256_of_file(config_.asset_dir / source.name);
    if (!sum || *sum != source.sha256) {
      check.reason = (config_.asset_dir / source.name).string() +
                     (sum ? " does not match its manifest sha256" : " is missing");
      check.duration = since(start);
      return check;
    }
    report.asset_sha256[source.name] = *sum;
  }
  for (const auto& a : last_install_.assets) {
    if (a.source.name.rfind("extra/", 0) == 0) report.asset_sha256[a.source.name] = a.source.sha256;
  }
  version = installed->version;
  report.assets_version = version;
  check.result = CheckResult::kPass;
  check.reason = std::to_string(report.asset_sha256.size()) + " files verified (guest " +
                 installed->kernel_release + ", version " + version + "), " +
                 std::to_string(copied) + " copied";
  check.duration = since(start);
  return check;
}

NodeReport Provisioner::run() {
  NodeReport report;
  report.node = config_.node;
  report.at = std::chrono::system_clock::now();
  Check assets = install_assets(report);
  if (assets.result != CheckResult::kPass) report.assets_version.clear();

  last_hypervisor_ = check_hypervisor(config_.hypervisor);
  probe_seconds_.observe(static_cast<double>(last_hypervisor_.probe_time.count()) / 1000.0);
  report.kvm_usable = last_hypervisor_.kvm_usable;
  report.hypervisor_usable = last_hypervisor_.usable;
  report.runtime = last_hypervisor_.runtime_name;

  report.checks.push_back(last_hypervisor_.kvm);
  report.checks.push_back(last_hypervisor_.runtime);
  for (auto& check : run_host_checks(config_.host)) report.checks.push_back(std::move(check));
  report.checks.push_back(std::move(assets));
  record_metrics(report);
  return report;
}

void Provisioner::record_metrics(const NodeReport& report) {
  auto& family = registry_.gauge_family("aether_node_check", "1 for each check's current result",
                                        {"check", "result"});
  for (const auto& check : report.checks) {
    for (auto result : {CheckResult::kPass, CheckResult::kWarn, CheckResult::kFail}) {
      family.labels({check.name, check_result_name(result)}).set(check.result == result ? 1 : 0);
    }
  }
  usable_.set(report.usable() ? 1 : 0);
}

}  // namespace aether::provisioner
