#include "guest.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

#include "aether/guest_proto/channel.hpp"
#include "agent.hpp"

namespace aether::vmm::fake {

std::atomic<bool> g_guest_powered_off{false};
std::atomic<bool> g_guest_running{true};

namespace {

using guest_proto::Clock;

std::optional<std::string> read_line(int fd) {
  std::string line;
  char c;
  while (line.size() < 128 && ::read(fd, &c, 1) == 1) {
    if (c == '\n') return line;
    line.push_back(c);
  }
  return std::nullopt;
}

// Bytes from the agent to the host, until the agent's side closes.
void relay_to_host(int from_agent, int host) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(from_agent, buf, sizeof buf);
    if (n <= 0) break;
    if (!guest_proto::write_all(host, std::string_view(buf, static_cast<std::size_t>(n)),
                                Clock::now() + std::chrono::seconds(30))) {
      break;
    }
  }
}

// Frames from the host to the agent, until the host's side closes.
void relay_to_agent(int host, int to_agent) {
  guest_proto::FrameReader reader(host);
  for (;;) {
    auto frame = reader.read(Clock::now() + std::chrono::hours(24));
    if (!frame) break;
    if (frame->has_restored()) {
      const auto& r = frame->restored();
      std::fprintf(stderr,
                   "fake-firecracker: guest got Restored seed_bytes=%zu wall_clock_ns=%lld "
                   "hostname=%s machine_id=%s\n",
                   r.random_seed().size(), static_cast<long long>(r.wall_clock_unix_ns()),
                   r.hostname().c_str(), r.machine_id().c_str());
      frame->mutable_restored()->clear_machine_id();
    }
    if (!guest_proto::write_frame(to_agent, *frame, Clock::now() + std::chrono::seconds(30))) {
      break;
    }
  }
  ::shutdown(to_agent, SHUT_WR);
}

// One host connection: the agent on one end of a socket pair, the relays
// between the other end and the host.
vm_agent::ServeEnd serve_connection(int host) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    std::perror("fake-firecracker: socketpair");
    return vm_agent::ServeEnd::kChannelBroken;
  }
  std::thread up(relay_to_host, pair[1], host);
  std::thread down(relay_to_agent, host, pair[1]);
  vm_agent::ServeEnd end;
  {
    vm_agent::Agent agent(pair[0], vm_agent::AgentOptions{.version = "fake-firecracker"});
    end = agent.serve();
  }
  ::shutdown(pair[0], SHUT_WR);  // the agent's last words reach the host first
  up.join();
  ::shutdown(host, SHUT_RDWR);
  down.join();
  ::close(pair[0]);
  ::close(pair[1]);
  return end;
}

}  // namespace

int listen_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ::unlink(path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 8) != 0) {
    std::perror(("fake-firecracker: listen " + path).c_str());
    std::exit(1);
  }
  return fd;
}

void serve_vsock(int listener, unsigned agent_port) {
  for (;;) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    auto line = read_line(fd);
    if (!g_guest_running || !line || *line != "CONNECT " + std::to_string(agent_port)) {
      ::close(fd);  // like Firecracker: nobody listens on that guest port
      continue;
    }
    const std::string ok = "OK 1073741824\n";
    (void)!::write(fd, ok.data(), ok.size());
    const auto end = serve_connection(fd);
    ::close(fd);
    if (end == vm_agent::ServeEnd::kShutdown) {
      g_guest_powered_off = true;
      return;
    }
  }
}

}  // namespace aether::vmm::fake
