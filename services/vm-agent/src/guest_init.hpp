// What PID 1 does before serving: mount the kernel filesystems, load the
// virtio modules listed in the initramfs, and open the channel to the host.
// Called from main on the one thread the agent has.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace aether::vm_agent {

// key=value words of /proc/cmdline (a word without '=' maps to "").
[[nodiscard]] std::map<std::string, std::string> read_kernel_cmdline(
    const std::string& path = "/proc/cmdline");

// Mounts /proc, /sys, /dev (devtmpfs), /dev/pts, /tmp and /run, points
// stdin/stdout/stderr at /dev/console and sets the host name from
// /etc/hostname. Failures are logged, not fatal.
void mount_kernel_filesystems();

// Loads each module named in list_path (one file name a line, dependency
// order) from its directory with finit_module, passing "<module>.<param>=..."
// words of the kernel command line as that module's parameters (as modprobe
// would). Returns the names that failed.
[[nodiscard]] std::vector<std::string> load_modules(
    const std::string& list_path, const std::map<std::string, std::string>& cmdline);

// Opens /dev/<port> for the virtio-serial port whose name is port_name, waiting
// for it to appear up to timeout; -1 when absent.
[[nodiscard]] int open_virtio_port(const std::string& port_name, std::chrono::milliseconds timeout);

// Listens on vsock port and accepts one host connection; -1 when vsock is absent.
[[nodiscard]] int accept_vsock(unsigned port);

// Mounts the ext4 root filesystem on device at target (waiting up to timeout
// for the device), with /proc, /sys, /dev, /dev/pts, /tmp and /run inside it,
// so commands can run chrooted there. Returns target, or "" on failure (logged).
[[nodiscard]] std::string mount_root_filesystem(const std::string& device,
                                                const std::string& target,
                                                std::chrono::milliseconds timeout);

// Writes a line to the console (stderr), prefixed so it stands out in the log.
void console_log(const std::string& line);

}  // namespace aether::vm_agent
