// The project's OTLP/HTTP trace sink (tools/otlp-sink) on a loopback port, so
// tests and `make run` can point OTEL_EXPORTER_OTLP_ENDPOINT at it and read the
// spans back as JSON lines from spans_file().
//
// The binary is Options::binary, else $AETHER_OTLP_SINK_BIN, else
// $AETHER_BINARY_DIR/tools/otlp-sink/aether-otlp-sink (ctest sets
// AETHER_BINARY_DIR), else the build tree next to the running executable
// (<build>/tools/<x>/<exe> -> <build>/tools/otlp-sink/), else PATH. start()
// returns once the port accepts connections. The destructor stops it and removes
// a temporary state dir, unless Options::detach is set.
//
// Movable, not copyable; one owner thread at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "aether/devstack/error.hpp"
#include "aether/devstack/server.hpp"

namespace aether::devstack {

struct OtlpSinkOptions {
  std::string state_dir;  // empty: a fresh temporary directory, removed on destruction
  int port = 0;           // 0 picks a free one
  std::string binary;     // empty: found as described above
  bool detach = false;    // keep running (and keep the state dir) after destruction
  std::chrono::milliseconds start_timeout{30'000};
};

class OtlpSink final : public Server {
 public:
  using Options = OtlpSinkOptions;

  [[nodiscard]] static Result<OtlpSink> start(Options options = {});
  // Where start() would look for the binary, or kNotFound listing the places.
  [[nodiscard]] static Result<std::string> find_binary(const std::string& configured = {});

  // Movable (see Server); destruction stops the process, then removes a temporary dir.
  [[nodiscard]] std::string endpoint() const;              // http://127.0.0.1:PORT
  [[nodiscard]] std::filesystem::path spans_file() const;  // one JSON object per span
  // stop(), restart(), port(), pid(), state_dir(), log_file(), running(): see Server.

 private:
  OtlpSink() = default;
  [[nodiscard]] Result<void> launch_process() override;

  Options options_;
  std::string binary_;
};

}  // namespace aether::devstack
