// Exit codes of the cheap KVM check child (kvm_cheap_check.cpp).
#pragma once

namespace aether::vmm {

enum CheapCheckCode {
  kCheapOk = 0,
  kCheapOpen = 11,
  kCheapApiVersion,
  kCheapCreateVm,
  kCheapMemory,
  kCheapCreateVcpu,
  kCheapCpuid,
  kCheapLongMode,
  kCheapRun,
  kCheapResult,
};

// Runs in a forked child; returns its exit code.
[[nodiscard]] int kvm_cheap_check_child(const char* dev_kvm);
[[nodiscard]] const char* cheap_check_step(int code);

}  // namespace aether::vmm
