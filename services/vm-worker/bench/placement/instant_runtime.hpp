// A vmm::Runtime whose VMs "boot" at once and do nothing: the placement
// simulation runs the real Worker (capacity, classes, fetch, events, KV
// heartbeats, fairness) without QEMU.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "aether/vmm/vm.hpp"

namespace aether::placement {

class InstantVm final : public vmm::Vm {
 public:
  explicit InstantVm(std::string id) : id_(std::move(id)) { hello_.set_agent_version("instant"); }
  const std::string& id() const override { return id_; }
  const v1::Hello& hello() const override { return hello_; }
  std::chrono::microseconds boot_time() const override { return std::chrono::microseconds(1); }
  vmm::Result<std::chrono::microseconds> ping() override { return std::chrono::microseconds(1); }
  vmm::Result<v1::ExecReply> exec(v1::ExecRequest, const vmm::OutputCallback&) override {
    return v1::ExecReply{};
  }
  vmm::Result<v1::FilePutReply> put_file(const v1::FilePut&) override { return v1::FilePutReply{}; }
  vmm::Result<v1::FileGetReply> get_file(const v1::FileGet&) override { return v1::FileGetReply{}; }
  vmm::Result<void> shutdown(std::chrono::milliseconds) override {
    running_ = false;
    return {};
  }
  void kill() override { running_ = false; }
  vmm::VmStatus status() override {
    return {running_ ? vmm::VmState::kRunning : vmm::VmState::kStopped, ""};
  }
  int vmm_pid() const override { return -1; }

 private:
  std::string id_;
  v1::Hello hello_;
  std::atomic<bool> running_{true};
};

class InstantRuntime final : public vmm::Runtime {
 public:
  std::string_view name() const override { return "instant"; }
  vmm::Result<std::unique_ptr<vmm::Vm>> boot(const vmm::VmConfig& config) override {
    return std::make_unique<InstantVm>(config.id);
  }
};

}  // namespace aether::placement
