// Starts one service of the stack, detached, and describes it for the record.
#pragma once

#include <filesystem>
#include <string>

#include "aether/devstack/error.hpp"
#include "stack.hpp"
#include "stack_record.hpp"

namespace aether::devstack::cli {

// `port` 0 picks a free one (monitor_port likewise, nats only).
[[nodiscard]] Result<ServiceRecord> start_service(const std::string& name,
                                                  const std::filesystem::path& state_dir, int port,
                                                  int monitor_port, const UpOptions& options);

}  // namespace aether::devstack::cli
