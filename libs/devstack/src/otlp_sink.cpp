#include "aether/devstack/otlp_sink.hpp"

#include <unistd.h>

#include <cstdlib>

#include "aether/devstack/net.hpp"
#include "launch.hpp"

namespace aether::devstack {
namespace {

constexpr const char* kSinkName = "aether-otlp-sink";
constexpr const char* kSinkInBuildTree = "tools/otlp-sink/aether-otlp-sink";

bool executable(const std::filesystem::path& path) { return access(path.c_str(), X_OK) == 0; }

}  // namespace

Result<std::string> OtlpSink::find_binary(const std::string& configured) {
  if (!configured.empty()) {
    if (executable(configured)) return configured;
    return make_error(Errc::kNotFound,
                      "OtlpSinkOptions::binary: '" + configured + "' is not an executable file");
  }
  if (const char* env = std::getenv("AETHER_OTLP_SINK_BIN"); env && *env) {
    if (executable(env)) return std::string(env);
    return make_error(Errc::kNotFound,
                      std::string("AETHER_OTLP_SINK_BIN: '") + env + "' is not an executable file");
  }
  std::string tried;
  if (const char* build = std::getenv("AETHER_BINARY_DIR"); build && *build) {
    auto path = std::filesystem::path(build) / kSinkInBuildTree;
    if (executable(path)) return path.string();
    tried += " " + path.string();
  }
  // <build>/tools/devstack/aether-devstack or <build>/libs/x/test -> <build>.
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto path = self.parent_path().parent_path().parent_path() / kSinkInBuildTree;
    if (executable(path)) return path.string();
    tried += " " + path.string();
  }
  auto on_path = detail::find_program({kSinkName}, "OtlpSinkOptions::binary");
  if (on_path) return on_path;
  return make_error(Errc::kNotFound,
                    "aether-otlp-sink not found: set OtlpSinkOptions::binary or "
                    "AETHER_OTLP_SINK_BIN, or build target aether-otlp-sink; tried" +
                        tried + " and PATH");
}

Result<OtlpSink> OtlpSink::start(Options options) {
  OtlpSink sink;
  auto binary = find_binary(options.binary);
  if (!binary) return std::unexpected(binary.error());
  sink.binary_ = *binary;
  auto settings =
      settings_of(options, {kSinkName, "otlp-sink", "aether-otlp", "OtlpSinkOptions::port"});
  sink.options_ = std::move(options);
  return start_launcher(std::move(sink), std::move(settings));
}

Result<void> OtlpSink::launch_process() {
  process::Spec spec;
  spec.argv = {binary_, "--port", std::to_string(port_), "--out", spans_file().string()};
  const int port = port_;
  return launch(std::move(spec), [port] { return tcp_port_open(port); });
}

std::string OtlpSink::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::filesystem::path OtlpSink::spans_file() const { return dir_.path() / "spans.jsonl"; }

}  // namespace aether::devstack
