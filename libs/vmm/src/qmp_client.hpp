// A minimal QMP client on QEMU's Unix socket: capabilities handshake, then
// one command at a time with a deadline. Owned by one QemuVm (its mutex).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "aether/guest_proto/channel.hpp"
#include "aether/vmm/errors.hpp"

namespace aether::vmm {

class QmpClient {
 public:
  QmpClient() = default;
  ~QmpClient();
  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;

  // Connects (retrying until deadline: QEMU creates the socket at start-up)
  // and negotiates capabilities.
  [[nodiscard]] Result<void> connect(const std::filesystem::path& socket,
                                     guest_proto::Clock::time_point deadline);
  // Runs one command; returns its "return" value. Events are skipped.
  [[nodiscard]] Result<nlohmann::json> execute(const std::string& command,
                                               std::chrono::milliseconds timeout,
                                               const nlohmann::json& arguments = {});
  [[nodiscard]] bool connected() const { return fd_ >= 0; }

 private:
  [[nodiscard]] Result<nlohmann::json> read_message(guest_proto::Clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace aether::vmm
