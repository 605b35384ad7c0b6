// One provisioning round: install the VM assets, run every check (the host
// checks and the hypervisor probe with the installed guest), and make the
// report. Knows nothing of Kubernetes or the bus (NodeAgent adds those), so
// `--once` and tests run it alone.
//
// Threads: run() is serialised by the caller (NodeAgent holds a mutex).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "aether/http/metrics.hpp"
#include "asset_installer.hpp"
#include "host_checks.hpp"
#include "hypervisor_check.hpp"
#include "report.hpp"

namespace aether::provisioner {

struct ProvisionerConfig {
  std::string node;
  std::filesystem::path asset_dir = "/var/lib/aether";
  // The guest image shipped in the provisioner's image (manifest.json beside
  // its artefacts); empty: no guest install, the probe uses what is installed.
  std::filesystem::path guest_source_dir;
  // Templates shipped beside it (build-template.sh output dirs), installed as
  // templates/<name>/; empty: none.
  std::filesystem::path template_source_dir;
  std::vector<AssetSource> extra_assets;
  FetchOptions fetch;
  HostCheckOptions host;              // asset_dir is filled from asset_dir
  HypervisorCheckOptions hypervisor;  // kernel, initrd, cache and work dirs filled from asset_dir
};

class Provisioner {
 public:
  Provisioner(ProvisionerConfig config, http::Registry& registry);

  [[nodiscard]] NodeReport run();
  [[nodiscard]] const ProvisionerConfig& config() const { return config_; }
  // The last round's install report and probe time (for logs and the benchmark).
  [[nodiscard]] const InstallReport& last_install() const { return last_install_; }
  [[nodiscard]] const HypervisorDecision& last_hypervisor() const { return last_hypervisor_; }

 private:
  [[nodiscard]] Check install_assets(NodeReport& report);
  void record_metrics(const NodeReport& report);

  ProvisionerConfig config_;
  AssetInstaller installer_;
  InstallReport last_install_;
  HypervisorDecision last_hypervisor_;
  http::Registry& registry_;
  http::Histogram& install_seconds_;
  http::Counter& install_failures_;
  http::Counter& bytes_copied_;
  http::Histogram& probe_seconds_;
  http::Gauge& usable_;
};

}  // namespace aether::provisioner
