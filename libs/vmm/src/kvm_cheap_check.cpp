// The cheap half of the KVM probe: runs in a forked child (only syscalls, no
// allocation), so a KVM_RUN that never returns cannot hang the caller.
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "kvm_cheap_check.hpp"

namespace aether::vmm {
namespace {

constexpr std::size_t kMemSize = 2u << 20;
constexpr std::uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000, kCode = 0x8000;

constexpr unsigned kCpuidEntries = 256;
// kvm_cpuid2 ends in a flexible array: a static buffer (no allocation in the child).
alignas(kvm_cpuid2) unsigned char cpuid_buffer[sizeof(kvm_cpuid2) +
                                               kCpuidEntries * sizeof(kvm_cpuid_entry2)];

}  // namespace

int kvm_cheap_check_child(const char* dev_kvm) {
  const int kvm = ::open(dev_kvm, O_RDWR | O_CLOEXEC);
  if (kvm < 0) return kCheapOpen;
  if (::ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) return kCheapApiVersion;
  const int vm = ::ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm < 0) return kCheapCreateVm;

  void* mem = ::mmap(nullptr, kMemSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return kCheapMemory;
  auto* bytes = static_cast<std::uint8_t*>(mem);
  // Identity-map the first 2 MiB with one large page.
  auto put64 = [&](std::uint64_t at, std::uint64_t value) { std::memcpy(bytes + at, &value, 8); };
  put64(kPml4, kPdpt | 0x3);
  put64(kPdpt, kPd | 0x3);
  put64(kPd, 0x0 | 0x83);
  // mov eax, 42; add eax, eax; hlt
  const std::uint8_t code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0x01, 0xc0, 0xf4};
  std::memcpy(bytes + kCode, code, sizeof code);
  kvm_userspace_memory_region region{};
  region.slot = 0;
  region.guest_phys_addr = 0;
  region.memory_size = kMemSize;
  region.userspace_addr = reinterpret_cast<std::uint64_t>(mem);
  if (::ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) != 0) return kCheapMemory;

  const int vcpu = ::ioctl(vm, KVM_CREATE_VCPU, 0);
  if (vcpu < 0) return kCheapCreateVcpu;
  const int run_size = ::ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) return kCheapCreateVcpu;
  auto* run = static_cast<kvm_run*>(::mmap(nullptr, static_cast<std::size_t>(run_size),
                                           PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0));
  if (run == MAP_FAILED) return kCheapCreateVcpu;

  // Long mode needs the LM CPUID bit in the guest's CPUID.
  auto* cpuid = reinterpret_cast<kvm_cpuid2*>(cpuid_buffer);
  cpuid->nent = kCpuidEntries;
  // Some paravirtual hosts refuse KVM_GET_SUPPORTED_CPUID; try without then.
  if (::ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0 &&
      ::ioctl(vcpu, KVM_SET_CPUID2, cpuid) != 0) {
    return kCheapCpuid;
  }
  kvm_sregs sregs{};
  if (::ioctl(vcpu, KVM_GET_SREGS, &sregs) != 0) return kCheapLongMode;
  kvm_segment code_seg{};
  code_seg.base = 0;
  code_seg.limit = 0xffffffff;
  code_seg.selector = 1 << 3;
  code_seg.type = 11;  // execute/read, accessed
  code_seg.present = 1;
  code_seg.s = 1;
  code_seg.l = 1;
  code_seg.g = 1;
  kvm_segment data_seg = code_seg;
  data_seg.selector = 2 << 3;
  data_seg.type = 3;  // read/write, accessed
  data_seg.l = 0;
  data_seg.db = 1;
  sregs.cs = code_seg;
  sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data_seg;
  sregs.cr3 = kPml4;
  sregs.cr4 = 1u << 5;                  // PAE
  sregs.cr0 = 0x80000001u | 0x10u;      // PG | PE | ET
  sregs.efer = (1u << 8) | (1u << 10);  // LME | LMA
  if (::ioctl(vcpu, KVM_SET_SREGS, &sregs) != 0) return kCheapLongMode;
  kvm_regs regs{};
  regs.rip = kCode;
  regs.rsp = 0x7000;
  regs.rflags = 0x2;
  if (::ioctl(vcpu, KVM_SET_REGS, &regs) != 0) return kCheapLongMode;

  if (::ioctl(vcpu, KVM_RUN, 0) != 0) return kCheapRun;
  if (run->exit_reason != KVM_EXIT_HLT) return kCheapRun;
  if (::ioctl(vcpu, KVM_GET_REGS, &regs) != 0 || (regs.rax & 0xffffffff) != 84) return kCheapResult;
  return kCheapOk;
}

const char* cheap_check_step(int code) {
  switch (code) {
    case kCheapOk:
      return "ok: ran 64-bit guest code to hlt";
    case kCheapOpen:
      return "cannot open /dev/kvm";
    case kCheapApiVersion:
      return "KVM_GET_API_VERSION is not 12";
    case kCheapCreateVm:
      return "KVM_CREATE_VM failed";
    case kCheapMemory:
      return "guest memory could not be set up";
    case kCheapCreateVcpu:
      return "KVM_CREATE_VCPU failed";
    case kCheapCpuid:
      return "KVM_GET_SUPPORTED_CPUID / KVM_SET_CPUID2 failed";
    case kCheapLongMode:
      return "could not put the vCPU in long mode (KVM_SET_SREGS)";
    case kCheapRun:
      return "KVM_RUN did not stop at hlt";
    case kCheapResult:
      return "the guest code computed a wrong value";
    default:
      return "the check process failed";
  }
}

}  // namespace aether::vmm
