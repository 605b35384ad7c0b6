// aether-otlp-sink: receive OTLP/HTTP traces and print one JSON line per span.
#include <CLI/CLI.hpp>

#include <csignal>
#include <fstream>
#include <iostream>

#include "aether/otlp_sink/otlp_sink.hpp"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Receives OTLP/HTTP traces on 127.0.0.1, writes one JSON object per span and answers "
      "Jaeger's query API (/api/traces, /api/services) on the same port"};
  app.set_version_flag("--version", std::string(AETHER_VERSION));
  int port = 0;
  std::string out_path;
  aether::otlp_sink::SinkOptions options;
  int retry_after = -1;
  app.add_option("--port", port, "port on 127.0.0.1 (0: a free port)")->check(CLI::Range(0, 65535));
  app.add_option("--out", out_path, "JSON-lines file to append to (default: stdout)");
  app.add_option("--fail-first", options.fail_first, "refuse the first N requests")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--status", options.fail_status, "HTTP status for refused requests")
      ->check(CLI::Range(400, 599));
  app.add_option("--retry-after", retry_after, "Retry-After seconds sent with refused requests")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-spans", options.max_spans,
                 "spans kept in memory for the query API (oldest dropped beyond)")
      ->check(CLI::PositiveNumber);
  bool check_config = false;
  app.add_flag("--check-config", check_config, "validate the flags, print them and exit");
  CLI11_PARSE(app, argc, argv);
  options.port = port;
  if (retry_after >= 0) options.retry_after_seconds = retry_after;
  if (check_config) {
    std::cout << "port=" << port << "\nout=" << (out_path.empty() ? "(stdout)" : out_path)
              << "\nfail_first=" << options.fail_first << "\nstatus=" << options.fail_status
              << "\nretry_after=" << (retry_after >= 0 ? std::to_string(retry_after) : "(none)")
              << "\nmax_spans=" << options.max_spans << "\n";
    return 0;
  }

  std::ofstream file;
  if (!out_path.empty()) {
    file.open(out_path, std::ios::app);
    if (!file) {
      std::cerr << "aether-otlp-sink: --out: cannot open '" << out_path << "' for appending\n";
      return 1;
    }
  }
  std::ostream& out = out_path.empty() ? std::cout : file;
  options.on_span = [&out](const aether::otlp_sink::ReceivedSpan& span) {
    out << span.to_json().dump() << '\n' << std::flush;  // one complete line per span
  };

  aether::otlp_sink::OtlpSink sink(std::move(options));
  auto bound = sink.start();
  if (!bound) {
    std::cerr << "aether-otlp-sink: " << bound.error().message << '\n';
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // Tests and the devstack read this line to learn the port.
  std::cout << "listening on 127.0.0.1:" << *bound << std::endl;
  while (g_stop == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  sink.stop();
  return 0;
}
