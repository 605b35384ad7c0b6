// `aetherctl vm ...` and `aetherctl cp`: a VM's life through the REST api
// (or, with --bus, straight through the bus subjects of the worker holding
// it).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "context.hpp"

namespace aether::ctl {

struct CreateOptions {
  std::string template_name = "default";
  int vcpus = 0;       // 0: the api's default
  int memory_mib = 0;  // 0: the api's default
  int ttl_seconds = 0;
  int idle_timeout_seconds = 0;
  bool network = false;
  std::vector<std::string> egress_allow;
  std::vector<std::string> env;     // K=V
  std::vector<std::string> labels;  // K=V
  bool wait = false;
  double wait_timeout_seconds = 120;
  std::string idempotency_key;
};

struct ListOptions {
  std::string state;
  std::vector<std::string> labels;  // k=v
  int limit = 0;
  bool all = false;  // follow the cursor to the end
};

struct ExecOptions {
  std::string vm;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  std::string stdin_file;  // "-" reads stdin
  double timeout_seconds = 0;
  bool collect = false;  // no streaming: one answer at the end
};

struct WaitOptions {
  std::string vm;
  std::string state = "READY";
  double timeout_seconds = 120;
};

[[nodiscard]] Result<int> vm_create(Context& ctx, const CreateOptions& options);
[[nodiscard]] Result<int> vm_list(Context& ctx, const ListOptions& options);
[[nodiscard]] Result<int> vm_get(Context& ctx, const std::string& vm);
[[nodiscard]] Result<int> vm_events(Context& ctx, const std::string& vm);
[[nodiscard]] Result<int> vm_exec(Context& ctx, const ExecOptions& options);
[[nodiscard]] Result<int> vm_stop(Context& ctx, const std::string& vm, int grace_seconds);
// op "pause" | "resume": POST /v1/vms/{id}/<op> (or aether.vm.<id>.<op> with
// --bus); prints the VM as the worker left it (PAUSED, or READY again).
[[nodiscard]] Result<int> vm_pause_or_resume(Context& ctx, const std::string& vm,
                                             const std::string& op);
[[nodiscard]] Result<int> vm_delete(Context& ctx, const std::string& vm);
[[nodiscard]] Result<int> vm_wait(Context& ctx, const WaitOptions& options);
// `cp SRC DST`, one side "VM:/abs/path", the other a local path ("-": stdio).
[[nodiscard]] Result<int> copy(Context& ctx, const std::string& source, const std::string& dest);

// "K=V" items as a JSON object; an item without '=' is a usage error naming it.
[[nodiscard]] Result<Json> key_values(const std::string& flag,
                                      const std::vector<std::string>& items);
// "VM:/path" -> {vm, path}; nullopt for a local path.
[[nodiscard]] std::optional<std::pair<std::string, std::string>> split_remote(
    const std::string& arg);

}  // namespace aether::ctl
