#include "aether/devstack/nats_server.hpp"

#include <httplib.h>

#include "aether/devstack/net.hpp"
#include "launch.hpp"

namespace aether::devstack {
namespace {

// 2.9+ reports JetStream health on /healthz; js-enabled-only keeps the check
// to "JetStream is up" rather than "every stream is current".
bool healthz_ok(int monitor_port, bool jetstream) {
  httplib::Client client("127.0.0.1", monitor_port);
  client.set_connection_timeout(std::chrono::seconds(1));
  client.set_read_timeout(std::chrono::seconds(2));
  auto res = client.Get(jetstream ? "/healthz?js-enabled-only=true" : "/healthz");
  return res && res->status == 200 && res->body.find("\"ok\"") != std::string::npos;
}

}  // namespace

Result<NatsServer> NatsServer::start(Options options) {
  if (auto ok = check_port(options.port, "NatsServer::Options::port"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_port(options.monitor_port, "NatsServer::Options::monitor_port"); !ok) {
    return std::unexpected(ok.error());
  }
  NatsServer server;
  auto binary =
      detail::find_program(options.binary.empty() ? std::vector<std::string>{"nats-server"}
                                                  : std::vector<std::string>{options.binary},
                           "NatsServer::Options::binary");
  if (!binary) return std::unexpected(binary.error());
  server.binary_ = *binary;
  auto dir = StateDir::open(options.state_dir, "aether-nats");
  if (!dir) return std::unexpected(dir.error());
  server.dir_ = std::move(*dir);
  server.options_ = std::move(options);

  Error last{Errc::kStartFailed, "nats-server: no start attempted"};
  for (int attempt = 0; attempt < detail::kPortAttempts; ++attempt) {
    auto port = detail::pick_port(server.options_.port);
    auto monitor = detail::pick_port(server.options_.monitor_port);
    if (!port) return std::unexpected(port.error());
    if (!monitor) return std::unexpected(monitor.error());
    server.port_ = *port;
    server.monitor_port_ = *monitor;
    auto launched = server.launch_process();
    if (launched) {
      if (server.options_.detach) {
        server.process_.detach();
        server.dir_.keep();
      }
      return server;
    }
    last = launched.error();
    const bool ports_were_picked = server.options_.port == 0 || server.options_.monitor_port == 0;
    if (!ports_were_picked || !detail::is_port_conflict(last)) break;
  }
  return std::unexpected(last);
}

Result<void> NatsServer::launch_process() {
  ProcessSpec spec;
  spec.argv = {
      binary_, "-a", "127.0.0.1", "-p", std::to_string(port_), "-m", std::to_string(monitor_port_)};
  if (options_.jetstream) {
    spec.argv.insert(spec.argv.end(), {"-js", "-sd", (dir_.path() / "jetstream").string()});
  }
  spec.log_file = log_file();
  spec.pid_file = dir_.path() / "nats-server.pid";
  spec.kill_with_parent = !options_.detach;
  auto child = detail::launch("nats-server on port " + std::to_string(port_), std::move(spec),
                              options_.start_timeout,
                              [this] { return healthz_ok(monitor_port_, options_.jetstream); });
  if (!child) return std::unexpected(child.error());
  process_ = std::move(*child);
  return {};
}

std::string NatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

std::string NatsServer::monitor_url() const {
  return "http://127.0.0.1:" + std::to_string(monitor_port_);
}

std::filesystem::path NatsServer::log_file() const { return dir_.path() / "nats-server.log"; }

Result<void> NatsServer::stop() { return process_.stop(); }

Result<void> NatsServer::restart() {
  if (auto stopped = stop(); !stopped) return stopped;
  auto launched = launch_process();
  if (launched && options_.detach) process_.detach();
  return launched;
}

}  // namespace aether::devstack
