// Booter: snapshots per template and size (AETHER_SNAPSHOTS). After the first
// cold boot of a template/size, the boot thread boots one more VM of it (its
// resources reserved like any VM's), snapshots it into
// state_dir/snapshots/<template>-<vcpus>x<memory>/ (written to .tmp, then
// renamed: a directory is complete or absent) and lets it go; later creates
// of that template and size are restored from it. A restore that fails falls
// back to a cold boot; a snapshot that no longer matches its template is
// dropped (and made again).
#include <spdlog/spdlog.h>

#include "booter.hpp"
#include "spec_rules.hpp"
#include "vm_config.hpp"

namespace aether::worker {

std::filesystem::path Booter::snapshot_dir(const v1::VmSpec& spec) const {
  return config_.state_dir / "snapshots" /
         (spec.template_() + "-" + std::to_string(spec.vcpus()) + "x" +
          std::to_string(spec.memory_mib()));
}

vmm::Result<std::unique_ptr<vmm::Vm>> Booter::boot_or_restore(const vmm::VmConfig& config,
                                                              const v1::VmSpec& spec,
                                                              bool& restored) {
  restored = false;
  if (config_.snapshots && !spec.network()) {
    const auto dir = snapshot_dir(spec);
    std::error_code ec;
    if (std::filesystem::exists(dir / "snapshot.json", ec)) {
      auto vm = p_.runtime.restore(config, dir);
      if (vm) {
        restored = true;
        return vm;
      }
      spdlog::warn("vm-worker: VM {}: restore from {} failed ({}); booting it cold", config.id,
                   dir.string(), vm.error().message);
      if (vm.error().code == vmm::Errc::kInvalidConfig ||
          vm.error().code == vmm::Errc::kMissingFile) {
        std::filesystem::remove_all(dir, ec);  // stale (template rebuilt): made again
      }
    }
  }
  return p_.runtime.boot(config);
}

void Booter::make_snapshot_if_missing(const v1::VmSpec& spec) {
  if (!config_.snapshots || spec.network() || p_.flags.draining || p_.flags.killed) return;
  const auto dir = snapshot_dir(spec);
  std::error_code ec;
  if (std::filesystem::exists(dir / "snapshot.json", ec)) return;
  std::unique_lock lock(snapshot_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another boot thread is making one
  const Resources need = resources_of(spec);
  if (!p_.ledger.try_reserve(need)) return;  // no room now: the next cold boot tries again
  p_.heartbeat.changed();
  const auto key = dir.filename().string();
  const auto boot_dir = config_.state_dir / "snapshots" / (".boot-" + key);
  const auto tmp = config_.state_dir / "snapshots" / (".tmp-" + key);
  std::filesystem::remove_all(boot_dir, ec);
  std::filesystem::remove_all(tmp, ec);
  const auto started = Clock::now();
  auto vm = p_.runtime.boot(make_vm_config(config_, "snap-" + key, boot_dir, spec));
  if (!vm) {
    spdlog::warn("vm-worker: snapshot of {}: boot failed: {}", key, vm.error().message);
  } else if (auto taken = (*vm)->snapshot(tmp); !taken) {
    spdlog::warn("vm-worker: snapshot of {} failed: {}", key, taken.error().message);
  } else {
    std::filesystem::rename(tmp, dir, ec);
    if (ec) {
      spdlog::warn("vm-worker: snapshot of {}: rename: {}", key, ec.message());
    } else {
      spdlog::info(
          "vm-worker: snapshot of {} made in {} ms; its creates are restored from it", key,
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    }
  }
  if (vm) (*vm)->kill();
  std::filesystem::remove_all(boot_dir, ec);
  std::filesystem::remove_all(tmp, ec);
  p_.ledger.release(need);
  p_.slots.room_changed();
  p_.heartbeat.changed();
}

}  // namespace aether::worker
