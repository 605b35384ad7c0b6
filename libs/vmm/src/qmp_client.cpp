#include "qmp_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace aether::vmm {

using guest_proto::Clock;

QmpClient::~QmpClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> QmpClient::connect(const std::filesystem::path& socket, Clock::time_point deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.string().size() >= sizeof addr.sun_path) {
    return std::unexpected(
        Error{Errc::kInvalidConfig, "QMP socket path too long: " + socket.string()});
  }
  std::strcpy(addr.sun_path, socket.c_str());
  for (;;) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    if (Clock::now() >= deadline) {
      return std::unexpected(Error{
          Errc::kSpawn, "cannot connect to QMP at " + socket.string() + ": " + std::strerror(e)});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto greeting = read_message(deadline);
  if (!greeting) return std::unexpected(greeting.error());
  auto caps =
      execute("qmp_capabilities",
              std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  if (!caps) return std::unexpected(caps.error());
  return {};
}

Result<nlohmann::json> QmpClient::read_message(Clock::time_point deadline) {
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      const std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      auto parsed = nlohmann::json::parse(line, nullptr, false);
      if (parsed.is_discarded()) {
        return std::unexpected(Error{Errc::kProtocol, "QMP sent a line that is not JSON"});
      }
      return parsed;
    }
    if (buffer_.size() > (1u << 20)) {
      return std::unexpected(Error{Errc::kProtocol, "QMP message above 1 MiB"});
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::unexpected(Error{Errc::kTimeout, "QMP did not answer in time"});
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1000))) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return std::unexpected(Error{Errc::kVmDead, "QMP connection closed"});
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

Result<nlohmann::json> QmpClient::execute(const std::string& command,
                                          std::chrono::milliseconds timeout,
                                          const nlohmann::json& arguments) {
  if (fd_ < 0) return std::unexpected(Error{Errc::kVmDead, "QMP is not connected"});
  const auto deadline = Clock::now() + timeout;
  nlohmann::json request{{"execute", command}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  const std::string line = request.dump() + "\n";
  if (auto sent = guest_proto::write_all(fd_, line, deadline); !sent) {
    return std::unexpected(Error{Errc::kVmDead, "QMP write: " + sent.error().message});
  }
  for (;;) {
    auto message = read_message(deadline);
    if (!message) return message;
    if (message->contains("event")) continue;
    if (message->contains("error")) {
      return std::unexpected(
          Error{Errc::kIo, "QMP " + command + ": " + (*message)["error"].dump()});
    }
    if (message->contains("return")) return (*message)["return"];
  }
}

}  // namespace aether::vmm
