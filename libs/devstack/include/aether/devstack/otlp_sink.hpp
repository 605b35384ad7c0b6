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

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "aether/devstack/error.hpp"
#include "aether/devstack/process.hpp"
#include "aether/devstack/state_dir.hpp"

namespace aether::devstack {

struct OtlpSinkOptions {
  std::string state_dir;  // empty: a fresh temporary directory, removed on destruction
  int port = 0;           // 0 picks a free one
  std::string binary;     // empty: found as described above
  bool detach = false;    // keep running (and keep the state dir) after destruction
  std::chrono::milliseconds start_timeout{30'000};
};

class OtlpSink {
 public:
  using Options = OtlpSinkOptions;

  [[nodiscard]] static Result<OtlpSink> start(Options options = {});
  // Where start() would look for the binary, or kNotFound listing the places.
  [[nodiscard]] static Result<std::string> find_binary(const std::string& configured = {});

  OtlpSink(OtlpSink&&) noexcept = default;
  OtlpSink& operator=(OtlpSink&&) noexcept = default;
  ~OtlpSink() = default;  // members stop the process, then remove the dir

  [[nodiscard]] std::string endpoint() const;  // http://127.0.0.1:PORT
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::filesystem::path spans_file() const;  // one JSON object per span
  [[nodiscard]] pid_t pid() const { return process_.pid(); }
  [[nodiscard]] const std::filesystem::path& state_dir() const { return dir_.path(); }
  [[nodiscard]] std::filesystem::path log_file() const;
  [[nodiscard]] bool running() { return process_.running(); }

  [[nodiscard]] Result<void> stop();

 private:
  OtlpSink() = default;
  [[nodiscard]] Result<void> launch_process();

  Options options_;
  std::string binary_;
  int port_ = 0;
  StateDir dir_;  // declared before process_: destroyed after it
  ChildProcess process_;
};

}  // namespace aether::devstack
