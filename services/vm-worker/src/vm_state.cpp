#include "vm_state.hpp"

#include <array>
#include <utility>

namespace aether::worker {
namespace {

constexpr std::array<std::pair<VmState, std::string_view>, 12> kTokens{{
    {v1::VM_STATE_UNSPECIFIED, "unspecified"},
    {v1::VM_STATE_PENDING, "pending"},
    {v1::VM_STATE_SCHEDULED, "scheduled"},
    {v1::VM_STATE_BOOTING, "booting"},
    {v1::VM_STATE_READY, "ready"},
    {v1::VM_STATE_STOPPING, "stopping"},
    {v1::VM_STATE_STOPPED, "stopped"},
    {v1::VM_STATE_DELETED, "deleted"},
    {v1::VM_STATE_FAILED, "failed"},
    {v1::VM_STATE_PAUSING, "pausing"},
    {v1::VM_STATE_PAUSED, "paused"},
    {v1::VM_STATE_RESUMING, "resuming"},
}};

}  // namespace

bool transition_allowed(VmState from, VmState to) {
  using namespace v1;
  switch (to) {
    case VM_STATE_PENDING:  // handed back to the queue by a worker that cannot boot it
      return from == VM_STATE_SCHEDULED || from == VM_STATE_BOOTING;
    case VM_STATE_SCHEDULED:
      return from == VM_STATE_UNSPECIFIED || from == VM_STATE_PENDING;
    case VM_STATE_BOOTING:
      return from == VM_STATE_SCHEDULED;
    case VM_STATE_READY:  // booted, resumed, or a pause the runtime refused (it runs on)
      return from == VM_STATE_BOOTING || from == VM_STATE_SCHEDULED || from == VM_STATE_RESUMING ||
             from == VM_STATE_PAUSING;
    case VM_STATE_PAUSING:
      return from == VM_STATE_READY;
    case VM_STATE_PAUSED:  // paused, or a resume that failed before the VM ran again
      return from == VM_STATE_PAUSING || from == VM_STATE_RESUMING;
    case VM_STATE_RESUMING:
      return from == VM_STATE_PAUSED;
    case VM_STATE_STOPPING:
      return from == VM_STATE_READY || from == VM_STATE_PAUSED;
    case VM_STATE_STOPPED:
      return from == VM_STATE_STOPPING;
    case VM_STATE_DELETED:
      return from == VM_STATE_STOPPED || from == VM_STATE_FAILED;
    case VM_STATE_FAILED:
      return from != VM_STATE_FAILED && from != VM_STATE_DELETED && from != VM_STATE_STOPPED;
    default:
      return false;
  }
}

std::string_view state_token(VmState state) {
  for (const auto& [s, token] : kTokens) {
    if (s == state) return token;
  }
  return "unspecified";
}

VmState state_from_token(std::string_view token) {
  for (const auto& [s, t] : kTokens) {
    if (t == token) return s;
  }
  return v1::VM_STATE_UNSPECIFIED;
}

bool holds_resources(VmState state) {
  return state == v1::VM_STATE_SCHEDULED || state == v1::VM_STATE_BOOTING ||
         state == v1::VM_STATE_READY || state == v1::VM_STATE_STOPPING ||
         state == v1::VM_STATE_PAUSING || state == v1::VM_STATE_RESUMING;
}

bool is_final(VmState state) {
  return state == v1::VM_STATE_DELETED || state == v1::VM_STATE_FAILED;
}

}  // namespace aether::worker
