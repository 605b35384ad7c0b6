#include "start_service.hpp"

#include <csignal>

#include "aether/devstack/nats_server.hpp"
#include "aether/devstack/otlp_sink.hpp"
#include "aether/devstack/postgres.hpp"
#include "aether/devstack/redis.hpp"
#include "aether/process/process.hpp"

namespace aether::devstack::cli {
namespace {

template <class Server>
ServiceRecord describe(const std::string& name, Server& server, int stop_signal) {
  ServiceRecord r;
  r.name = name;
  r.pid = server.pid();
  r.program = process::pid_program(server.pid());
  r.stop_signal = stop_signal;
  r.port = server.port();
  return r;
}

}  // namespace

Result<ServiceRecord> start_service(const std::string& name, const std::filesystem::path& state_dir,
                                    int port, int monitor_port, const UpOptions& options) {
  const std::string dir = (state_dir / name).string();
  if (name == "nats") {
    NatsServer::Options o;
    o.state_dir = dir;
    o.port = port;
    o.monitor_port = monitor_port;
    o.detach = true;
    auto server = NatsServer::start(o);
    if (!server) return std::unexpected(server.error());
    auto r = describe(name, *server, SIGTERM);
    r.monitor_port = server->monitor_port();
    r.env["NATS_URL"] = server->url();
    return r;
  }
  if (name == "postgres") {
    Postgres::Options o;
    o.state_dir = dir;
    o.port = port;
    o.detach = true;
    auto server = Postgres::start(o);
    if (!server) return std::unexpected(server.error());
    auto r = describe(name, *server, SIGINT);  // fast shutdown
    r.env["DATABASE_URL"] = server->url();
    return r;
  }
  if (name == "redis") {
    Redis::Options o;
    o.state_dir = dir;
    o.port = port;
    o.detach = true;
    o.persist = true;  // `down --only redis` then `up --only redis`: same data
    auto server = Redis::start(o);
    if (!server) return std::unexpected(server.error());
    auto r = describe(name, *server, SIGTERM);
    r.env["REDIS_URL"] = server->url();
    return r;
  }
  if (name == "otlp") {
    OtlpSink::Options o;
    o.state_dir = dir;
    o.port = port;
    o.binary = options.otlp_binary;
    o.detach = true;
    auto server = OtlpSink::start(o);
    if (!server) return std::unexpected(server.error());
    auto r = describe(name, *server, SIGTERM);
    r.env["OTEL_EXPORTER_OTLP_ENDPOINT"] = server->endpoint();
    return r;
  }
  return make_error(Errc::kInvalidArgument, "--only: unknown service '" + name + "'");
}

}  // namespace aether::devstack::cli
