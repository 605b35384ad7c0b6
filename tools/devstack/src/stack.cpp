#include "stack.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "aether/devstack/otlp_sink.hpp"
#include "aether/devstack/state_dir.hpp"
#include "aether/process/process.hpp"
#include "nats_nodes.hpp"
#include "stack_record.hpp"
#include "start_service.hpp"

namespace aether::devstack::cli {
namespace {

constexpr std::chrono::milliseconds kStopGrace{15'000};

// Holds flock(<dir>/.lock) for one up or down.
class DirLock {
 public:
  [[nodiscard]] static Result<DirLock> acquire(const std::filesystem::path& dir) {
    DirLock lock;
    const auto file = dir / ".lock";
    lock.fd_ = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock.fd_ < 0) {
      return make_error(Errc::kIo, "cannot open " + file.string() + ": " + std::strerror(errno));
    }
    if (flock(lock.fd_, LOCK_EX | LOCK_NB) != 0) {
      return make_error(Errc::kIo, "another aether-devstack up/down runs on " + dir.string());
    }
    return lock;
  }
  DirLock() = default;
  DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock() {
    if (fd_ >= 0) close(fd_);
  }

 private:
  int fd_ = -1;
};

bool record_runs(const ServiceRecord& r) { return process::pid_runs_program(r.pid, r.program); }

int requested_port(const std::string& name, const UpOptions& o) {
  if (name == "nats") return o.nats_port;
  if (name == "postgres") return o.postgres_port;
  if (name == "redis") return o.redis_port;
  return o.otlp_port;
}

Result<void> check_names(const std::vector<std::string>& only) {
  for (const auto& name : only) {
    const auto kind = service_kind(name);
    if (std::find(kServiceNames.begin(), kServiceNames.end(), kind) == kServiceNames.end()) {
      return make_error(Errc::kInvalidArgument,
                        "--only: unknown service '" + name +
                            "' (allowed: nats, postgres, redis, otlp, nats-<i> a cluster node)");
    }
  }
  return {};
}

// "nats" selects every node of a cluster too.
bool selected(const std::vector<std::string>& only, const std::string& name) {
  if (only.empty()) return true;
  auto has = [&](const std::string& n) {
    return std::find(only.begin(), only.end(), n) != only.end();
  };
  return has(name) || (nats_node_index(name) && has("nats"));
}

// The cluster nodes `names` select: all for "nats", node i for "nats-<i>".
std::vector<std::size_t> nats_nodes_selected(const std::vector<std::string>& names,
                                             std::size_t size) {
  std::vector<std::size_t> out;
  for (const auto& name : names) {
    if (name == "nats") {
      for (std::size_t i = 0; i < size; ++i) out.push_back(i);
    } else if (auto i = nats_node_index(name)) {
      out.push_back(*i);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<std::string>> selection(const UpOptions& options, std::ostream& progress) {
  if (auto ok = check_names(options.only); !ok) return std::unexpected(ok.error());
  if (!options.only.empty()) return options.only;
  std::vector<std::string> all = {"nats", "postgres", "redis"};
  if (OtlpSink::find_binary(options.otlp_binary)) {
    all.emplace_back("otlp");
  } else {
    progress << "aether-devstack: skipping otlp (aether-otlp-sink is not built)\n";
  }
  return all;
}

}  // namespace

Stack::Stack(std::filesystem::path state_dir, std::ostream& progress)
    : dir_(std::move(state_dir)), progress_(progress) {}

Result<std::string> Stack::up(const UpOptions& options) {
  auto dir = StateDir::open(dir_.string(), "aether-devstack");
  if (!dir) return std::unexpected(dir.error());
  dir_ = dir->path();  // absolute from here on
  auto lock = DirLock::acquire(dir_);
  if (!lock) return std::unexpected(lock.error());
  auto names = selection(options, progress_);
  if (!names) return std::unexpected(names.error());
  auto record = load_record(dir_);
  if (!record) return std::unexpected(record.error());
  auto nats_nodes = nats_size(*record, options.nats_nodes, dir_);
  if (!nats_nodes) return std::unexpected(nats_nodes.error());
  if (*nats_nodes > 1 && (options.nats_port != 0 || options.nats_monitor_port != 0)) {
    return make_error(Errc::kInvalidArgument,
                      "--nats-port/--nats-monitor-port: for one nats-server, not a cluster of " +
                          std::to_string(*nats_nodes) +
                          " (its nodes get free ports, then keep them)");
  }
  bool nats_done = false;

  for (const auto& name : *names) {
    if (service_kind(name) == "nats" && (*nats_nodes > 1 || name != "nats")) {
      if (*nats_nodes == 1) {
        return make_error(Errc::kInvalidArgument, "--only " + name + ": " + dir_.string() +
                                                      " holds no nats cluster (up --nats-nodes 3)");
      }
      if (nats_done) continue;
      nats_done = true;
      auto up_nodes =
          up_nats_nodes(dir_, *record, *nats_nodes, nats_nodes_selected(*names, *nats_nodes),
                        progress_, [&] { return save_record(dir_, *record); });
      if (!up_nodes) {
        return make_error(up_nodes.error().code,
                          up_nodes.error().message +
                              "\n(servers started so far keep running; `aether-devstack down` "
                              "stops them)");
      }
      continue;
    }
    const ServiceRecord* previous = record->find(name);
    if (previous && record_runs(*previous)) {
      progress_ << "aether-devstack: " << name << " already runs (pid " << previous->pid << ")\n";
      continue;
    }
    // The recorded port keeps the env stable across down/up.
    int port = requested_port(name, options);
    const bool port_from_record = port == 0 && previous;
    if (port_from_record) port = previous->port;
    int monitor = options.nats_monitor_port;
    if (monitor == 0 && previous) monitor = previous->monitor_port;
    progress_ << "aether-devstack: starting " << name << "\n";
    auto started = start_service(name, dir_, port, monitor, options);
    if (!started && port_from_record) {
      progress_ << "aether-devstack: " << name << " cannot use its recorded port " << port
                << "; picking a free one\n";
      started = start_service(name, dir_, 0, options.nats_monitor_port, options);
    }
    if (!started) {
      return make_error(started.error().code,
                        name + ": " + started.error().message +
                            "\n(servers started so far keep running; `aether-devstack down` "
                            "stops them)");
    }
    record->put(std::move(*started));
    // Saved after each start so `down` can find whatever runs.
    if (auto saved = save_record(dir_, *record); !saved) return std::unexpected(saved.error());
  }
  if (auto saved = save_record(dir_, *record); !saved) return std::unexpected(saved.error());
  return env_lines(*record);
}

Result<std::string> Stack::env() {
  auto record = load_record(dir_);
  if (!record) return std::unexpected(record.error());
  const bool any_up = std::any_of(record->services.begin(), record->services.end(),
                                  [](const ServiceRecord& s) { return s.pid != 0; });
  if (!any_up) {
    return make_error(Errc::kNotFound, "no stack is up in " + dir_.string() +
                                           " (run: aether-devstack up --state-dir " +
                                           dir_.string() + ")");
  }
  for (const auto& s : record->services) {
    if (s.pid != 0 && !record_runs(s)) {
      progress_ << "aether-devstack: warning: " << s.name << " (pid " << s.pid
                << ") no longer runs; `aether-devstack up` restarts it\n";
    }
  }
  return env_lines(*record);
}

Result<StatusReport> Stack::status() {
  auto record = load_record(dir_);
  if (!record) return std::unexpected(record.error());
  StatusReport report;
  if (record->services.empty()) {
    report.text = "no stack is up in " + dir_.string() + "\n";
    return report;
  }
  report.all_running = true;
  for (const auto& s : record->services) {
    if (s.pid == 0) {
      report.text += s.name + std::string(10 - std::min<size_t>(s.name.size(), 9), ' ') + "down\n";
      report.all_running = false;
      continue;
    }
    const bool runs = record_runs(s);
    report.all_running = report.all_running && runs;
    std::string url = s.env.empty() ? std::string() : s.env.begin()->second;
    report.text += s.name + std::string(10 - std::min<size_t>(s.name.size(), 9), ' ') +
                   (runs ? "running  " : "stopped  ") + "pid " + std::to_string(s.pid) + "  " +
                   url + "\n";
  }
  return report;
}

Result<void> Stack::down(bool purge, const std::vector<std::string>& only) {
  if (auto ok = check_names(only); !ok) return ok;
  if (!std::filesystem::exists(dir_)) return {};
  auto lock = DirLock::acquire(dir_);
  if (!lock) return std::unexpected(lock.error());
  auto record = load_record(dir_);
  if (!record) return std::unexpected(record.error());
  std::string failures;
  for (auto it = record->services.rbegin(); it != record->services.rend(); ++it) {
    if (it->pid == 0 || !selected(only, it->name)) continue;
    if (!record_runs(*it)) {
      if (process::pid_alive(it->pid)) {
        progress_ << "aether-devstack: pid " << it->pid << " now runs something else than "
                  << it->name << "; leaving it alone\n";
      }
      continue;
    }
    progress_ << "aether-devstack: stopping " << it->name << " (pid " << it->pid << ")\n";
    if (auto stopped = process::stop_pid(it->pid, it->stop_signal, kStopGrace); !stopped) {
      failures += "\n" + it->name + ": " + stopped.error().message;
    }
  }
  if (!failures.empty()) return make_error(Errc::kTimeout, "some servers did not stop:" + failures);
  if (!purge) {
    // Kept without pids, so the next `up` reuses the same ports.
    for (auto& s : record->services) {
      if (selected(only, s.name)) s.pid = 0;
    }
    return save_record(dir_, *record);
  }
  if (only.empty()) remove_record(dir_);
  for (const auto& name : kServiceNames) {
    if (!selected(only, name)) continue;
    std::error_code ignored;
    std::filesystem::remove_all(dir_ / name, ignored);
  }
  if (!only.empty()) {
    std::erase_if(record->services, [&](const ServiceRecord& s) { return selected(only, s.name); });
    return save_record(dir_, *record);
  }
  return {};
}

}  // namespace aether::devstack::cli
