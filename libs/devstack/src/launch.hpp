// Shared start-up steps of every launcher (private to the library).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "aether/devstack/error.hpp"
#include "aether/process/process.hpp"

namespace aether::devstack::detail {

// How many times a launcher picks a new free port when the one it picked was
// taken by someone else between free_port() and the server's bind().
inline constexpr int kPortAttempts = 3;

// The first executable among `candidates` (process::find_program), else
// kNotFound naming `option`.
[[nodiscard]] Result<std::string> find_program(const std::vector<std::string>& candidates,
                                               const std::string& option);

// `configured` when set, else `name` (looked up as above).
[[nodiscard]] Result<std::string> find_program_or(const std::string& configured,
                                                  const std::string& name,
                                                  const std::string& option);

// Spawns `spec` and polls `ready` until it returns true. Fails with the tail of
// the server's log when it exits first (kStartFailed) or the bound passes
// (kTimeout); the child is stopped in both cases.
[[nodiscard]] Result<process::ChildProcess> launch(const std::string& what, process::Spec spec,
                                                   std::chrono::milliseconds timeout,
                                                   const std::function<bool()>& ready);

// Runs `spec` to completion (e.g. initdb) within `timeout`; fails with the
// tail of its log when it exits non-zero or takes too long.
[[nodiscard]] Result<void> run_to_completion(const std::string& what, process::Spec spec,
                                             std::chrono::milliseconds timeout);

// Percent-encodes everything but RFC 3986 unreserved characters (for URLs).
[[nodiscard]] std::string url_encode(const std::string& text);

// True when a launch failed because the port was taken.
[[nodiscard]] bool is_port_conflict(const Error& error);

// A port to use: `configured` when non-zero, else a fresh free port.
[[nodiscard]] Result<int> pick_port(int configured);

}  // namespace aether::devstack::detail
