#include "aether/devstack/server.hpp"

#include "aether/devstack/net.hpp"
#include "launch.hpp"

namespace aether::devstack {

Error from_process_error(const process::Error& error) {
  switch (error.code) {
    case process::Errc::kInvalidArgument:
      return Error{Errc::kInvalidArgument, error.message};
    case process::Errc::kNotFound:
      return Error{Errc::kNotFound, error.message};
    case process::Errc::kIo:
      return Error{Errc::kIo, error.message};
    case process::Errc::kTimeout:
      return Error{Errc::kTimeout, error.message};
    case process::Errc::kSpawn:
      break;
  }
  return Error{Errc::kSpawn, error.message};
}

std::filesystem::path Server::log_file() const {
  return dir_.path() / (settings_.naming.file_stem + ".log");
}

Result<void> Server::begin(Settings settings) {
  settings_ = std::move(settings);
  if (auto ok = check_port(settings_.port, settings_.naming.port_field.c_str()); !ok) return ok;
  auto dir = StateDir::open(settings_.state_dir, settings_.naming.temp_prefix);
  if (!dir) return std::unexpected(dir.error());
  dir_ = std::move(*dir);
  if (auto ok = prepare(); !ok) return ok;
  return start_process();
}

Result<void> Server::pick_ports() {
  auto port = detail::pick_port(settings_.port);
  if (!port) return std::unexpected(port.error());
  port_ = *port;
  return {};
}

Result<void> Server::start_process() {
  Error last{Errc::kStartFailed, settings_.naming.program + ": no start attempted"};
  for (int attempt = 0; attempt < detail::kPortAttempts; ++attempt) {
    if (auto picked = pick_ports(); !picked) return picked;
    auto launched = launch_process();
    if (launched) {
      if (auto ok = after_launch(); !ok) return ok;
      if (settings_.detach) {
        process_.detach();
        dir_.keep();
      }
      return {};
    }
    last = launched.error();
    if (ports_configured() || !detail::is_port_conflict(last)) break;
  }
  return std::unexpected(last);
}

Result<void> Server::launch(process::Spec spec, const std::function<bool()>& ready) {
  spec.log_file = log_file();
  spec.pid_file = dir_.path() / (settings_.naming.file_stem + ".pid");
  spec.kill_with_parent = !settings_.detach;
  auto child = detail::launch(settings_.naming.program + " on port " + std::to_string(port_),
                              std::move(spec), settings_.start_timeout, ready);
  if (!child) return std::unexpected(child.error());
  process_ = std::move(*child);
  return {};
}

Result<void> Server::stop() {
  (void)process_.stop(process::kDefaultStopGrace);
  return {};
}

void Server::kill() { process_.kill(); }

Result<void> Server::restart() {
  if (auto stopped = stop(); !stopped) return stopped;
  auto launched = launch_process();
  if (launched && settings_.detach) process_.detach();
  return launched;
}

}  // namespace aether::devstack
