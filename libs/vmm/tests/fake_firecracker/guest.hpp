// The fake's "guest": the host side of hybrid vsock (answers "CONNECT <port>"
// with "OK <n>") and the real agent logic (aether_vm_agent_core) on the
// connection, running host commands. Between the two sits a small relay that
// reports each Restored frame on stderr (the VMM log) and drops its machine
// id before the agent sees it: the agent off a guest (not PID 1) writes only
// /etc/machine-id, which here is the host's.
// Threads: serve_vsock runs on its own detached thread, one connection at a
// time (like the one agent in a guest).
#pragma once

#include <atomic>
#include <string>

namespace aether::vmm::fake {

// Set when the agent was told to shut down (Firecracker exits on the guest's
// reboot).
extern std::atomic<bool> g_guest_powered_off;
// Cleared while the VM is paused: the guest then accepts no connection.
extern std::atomic<bool> g_guest_running;

[[nodiscard]] int listen_unix(const std::string& path);

// Serves connections on `listener` until the agent is told to shut down.
void serve_vsock(int listener, unsigned agent_port);

}  // namespace aether::vmm::fake
