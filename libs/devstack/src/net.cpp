#include "aether/devstack/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace aether::devstack {
namespace {

// Closes the socket on every path out.
class Socket {
 public:
  Socket() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

Result<int> free_port() {
  Socket sock;
  if (sock.fd() < 0) return make_error(Errc::kIo, std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr = loopback(0);
  if (bind(sock.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return make_error(Errc::kIo, std::string("bind 127.0.0.1:0: ") + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  if (getsockname(sock.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return make_error(Errc::kIo, std::string("getsockname: ") + std::strerror(errno));
  }
  return static_cast<int>(ntohs(addr.sin_port));
}

bool tcp_port_open(int port) {
  Socket sock;
  if (sock.fd() < 0) return false;
  sockaddr_in addr = loopback(port);
  return connect(sock.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

Result<void> check_port(int port, const char* field) {
  if (port < 0 || port > 65535) {
    return make_error(Errc::kInvalidArgument, std::string(field) + ": port " +
                                                  std::to_string(port) +
                                                  " is outside 0..65535 (0 picks a free port)");
  }
  return {};
}

}  // namespace aether::devstack
