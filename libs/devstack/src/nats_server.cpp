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
  if (auto ok = check_port(options.monitor_port, "NatsServer::Options::monitor_port"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_port(options.cluster_port, "NatsServer::Options::cluster_port"); !ok) {
    return std::unexpected(ok.error());
  }
  if (options.cluster_name.empty() && (options.cluster_port != 0 || !options.routes.empty())) {
    return make_error(Errc::kInvalidArgument,
                      "NatsServer::Options::cluster_name: needed with cluster_port or routes");
  }
  NatsServer server;
  auto binary =
      detail::find_program_or(options.binary, "nats-server", "NatsServer::Options::binary");
  if (!binary) return std::unexpected(binary.error());
  server.binary_ = *binary;
  auto settings = settings_of(
      options, {"nats-server", "nats-server", "aether-nats", "NatsServer::Options::port"});
  server.options_ = std::move(options);
  return start_launcher(std::move(server), std::move(settings));
}

Result<void> NatsServer::pick_ports() {
  if (auto ok = Server::pick_ports(); !ok) return ok;
  auto monitor = detail::pick_port(options_.monitor_port);
  if (!monitor) return std::unexpected(monitor.error());
  monitor_port_ = *monitor;
  if (!options_.cluster_name.empty()) {
    auto cluster = detail::pick_port(options_.cluster_port);
    if (!cluster) return std::unexpected(cluster.error());
    cluster_port_ = *cluster;
  }
  return {};
}

bool NatsServer::ports_configured() const {
  return options_.port != 0 && options_.monitor_port != 0 &&
         (options_.cluster_name.empty() || options_.cluster_port != 0);
}

Result<void> NatsServer::launch_process() {
  process::Spec spec;
  spec.argv = {
      binary_, "-a", "127.0.0.1", "-p", std::to_string(port_), "-m", std::to_string(monitor_port_)};
  if (options_.jetstream) {
    spec.argv.insert(spec.argv.end(), {"-js", "-sd", (dir_.path() / "jetstream").string()});
  }
  if (!options_.server_name.empty())
    spec.argv.insert(spec.argv.end(), {"--name", options_.server_name});
  if (!options_.cluster_name.empty()) {
    spec.argv.insert(spec.argv.end(), {"--cluster_name", options_.cluster_name, "--cluster",
                                       "nats://127.0.0.1:" + std::to_string(cluster_port_)});
    std::string routes;
    for (const auto& route : options_.routes) routes += (routes.empty() ? "" : ",") + route;
    if (!routes.empty()) spec.argv.insert(spec.argv.end(), {"--routes", routes});
  }
  return launch(std::move(spec), [this] { return healthz_ok(monitor_port_, options_.jetstream); });
}

std::string NatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

std::string NatsServer::monitor_url() const {
  return "http://127.0.0.1:" + std::to_string(monitor_port_);
}

}  // namespace aether::devstack
