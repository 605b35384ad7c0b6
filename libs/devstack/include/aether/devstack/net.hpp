// Loopback port helpers for launchers and tests.
#pragma once

#include "aether/devstack/error.hpp"

namespace aether::devstack {

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it for
// a socket bound to port 0, then closed). Another process may still take it
// before the server binds it; launchers retry with a new port when that
// happens.
[[nodiscard]] Result<int> free_port();

// True when a TCP connection to 127.0.0.1:port succeeds right now.
[[nodiscard]] bool tcp_port_open(int port);

// Rejects ports outside 0..65535 (0 means "pick a free one").
[[nodiscard]] Result<void> check_port(int port, const char* field);

}  // namespace aether::devstack
