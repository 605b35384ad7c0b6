// aether-devstack: the local stack (nats-server, PostgreSQL, Redis, OTLP sink)
// for `make run`, e2e scenarios and benchmarks. Wiring only; see src/stack.hpp.
#include <CLI/CLI.hpp>

#include <iostream>

#include "stack.hpp"

namespace {

int fail(const aether::devstack::Error& error) {
  std::cerr << "aether-devstack: " << error.message << '\n';
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using aether::devstack::cli::Stack;
  CLI::App app{"Runs nats-server, PostgreSQL, Redis and the OTLP sink on loopback ports"};
  app.set_version_flag("--version", std::string(AETHER_VERSION));
  app.require_subcommand(1);
  std::string state_dir = ".state";
  app.add_option("--state-dir", state_dir, "where servers keep data, logs and the stack record")
      ->capture_default_str();

  aether::devstack::cli::UpOptions up_options;
  auto* up = app.add_subcommand("up", "start the stack detached (no-op for what already runs)");
  up->add_option("--state-dir", state_dir, "as above");
  up->add_option("--only", up_options.only,
                 "services to start: nats,postgres,redis,otlp (nats-<i>: one cluster node)")
      ->delimiter(',');
  up->add_option("--nats-nodes", up_options.nats_nodes,
                 "nats-server as a JetStream cluster of N nodes (default: as recorded, else 1)")
      ->check(CLI::Range(1, 7));
  up->add_option("--nats-port", up_options.nats_port)->check(CLI::Range(0, 65535));
  up->add_option("--nats-monitor-port", up_options.nats_monitor_port)->check(CLI::Range(0, 65535));
  up->add_option("--postgres-port", up_options.postgres_port)->check(CLI::Range(0, 65535));
  up->add_option("--redis-port", up_options.redis_port)->check(CLI::Range(0, 65535));
  up->add_option("--otlp-port", up_options.otlp_port)->check(CLI::Range(0, 65535));
  up->add_option("--otlp-sink-bin", up_options.otlp_binary, "path to aether-otlp-sink");

  auto* env = app.add_subcommand("env", "print the export lines of the running stack");
  env->add_option("--state-dir", state_dir, "as above");
  auto* status = app.add_subcommand("status", "show what runs (exit 1 if something stopped)");
  status->add_option("--state-dir", state_dir, "as above");
  bool purge = false;
  std::vector<std::string> down_only;
  auto* down = app.add_subcommand("down", "stop every server of the stack (or only some)");
  down->add_option("--state-dir", state_dir, "as above");
  down->add_option("--only", down_only,
                   "services to stop: nats,postgres,redis,otlp (`up --only` starts them again "
                   "on the same port with the same data; nats-<i>: one cluster node)")
      ->delimiter(',');
  down->add_flag("--purge", purge, "also delete the servers' data");
  CLI11_PARSE(app, argc, argv);

  Stack stack(state_dir, std::cerr);
  if (*up) {
    auto lines = stack.up(up_options);
    if (!lines) return fail(lines.error());
    std::cout << *lines;
    return 0;
  }
  if (*env) {
    auto lines = stack.env();
    if (!lines) return fail(lines.error());
    std::cout << *lines;
    return 0;
  }
  if (*status) {
    auto report = stack.status();
    if (!report) return fail(report.error());
    std::cout << report->text;
    return report->all_running ? 0 : 1;
  }
  auto stopped = stack.down(purge, down_only);
  if (!stopped) return fail(stopped.error());
  return 0;
}
