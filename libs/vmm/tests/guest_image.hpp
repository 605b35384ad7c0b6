// Where the integration tests find the guest image (built by the
// vmm_guest_image fixture) and a fresh state dir per VM.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "aether/vmm/vm.hpp"

namespace aether::vmm::testing {

inline std::filesystem::path guest_dir() {
  const char* dir = std::getenv("AETHER_GUEST_DIR");
  REQUIRE(dir != nullptr);
  return dir;
}

struct StateRoot {
  std::filesystem::path path;
  StateRoot() {
    char tmpl[] = "/tmp/vmm_itest.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~StateRoot() { std::filesystem::remove_all(path); }
};

inline VmConfig guest_config(const StateRoot& root, const std::string& id) {
  VmConfig config;
  config.id = id;
  config.state_dir = root.path / id;
  config.kernel = guest_dir() / "vmlinux";
  config.initrd = guest_dir() / "initramfs.cpio";
  config.boot_timeout = std::chrono::seconds(90);  // TCG on a busy 2-core machine
  return config;
}

inline bool process_alive(int pid) {
  return pid > 0 && std::filesystem::exists("/proc/" + std::to_string(pid));
}

}  // namespace aether::vmm::testing
