// `aether-devstack up --nats-nodes N`: nats-server as an N-node JetStream
// cluster of detached processes, one record per node ("nats-<i>", see
// stack_record.hpp), so a node can be SIGKILLed by its recorded pid and
// started again with `up --only nats-<i>` on the same ports and store.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <ostream>
#include <vector>

#include "aether/devstack/error.hpp"
#include "stack.hpp"
#include "stack_record.hpp"

namespace aether::devstack::cli {

// The node count a stack's nats has: --nats-nodes if given (0: as recorded,
// else 1), refused when it contradicts what is recorded.
[[nodiscard]] Result<std::size_t> nats_size(const StackRecord& record, int requested,
                                            const std::filesystem::path& dir);

// Starts those of `wanted` (node indices < size) that do not run, on their
// recorded ports (new nodes get free ones), waits until the running nodes
// form a cluster with a JetStream meta leader and each node started beside
// running ones has caught up (its stream replicas current). `save` is called
// after each start, so a failure leaves what runs recorded.
[[nodiscard]] Result<void> up_nats_nodes(const std::filesystem::path& dir, StackRecord& record,
                                         std::size_t size, const std::vector<std::size_t>& wanted,
                                         std::ostream& progress,
                                         const std::function<Result<void>()>& save);

}  // namespace aether::devstack::cli
