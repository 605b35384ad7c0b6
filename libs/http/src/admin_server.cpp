#include "aether/http/admin_server.hpp"

#include <httplib.h>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace aether::http {
namespace {

// Probes and scrapes are tiny and rare; a few workers are plenty, and short keep-alive
// stops an idle client from holding a worker.
constexpr std::size_t kWorkerThreads = 4;
constexpr time_t kKeepAliveSeconds = 2;
constexpr time_t kIoTimeoutSeconds = 5;
constexpr auto kStartWait = std::chrono::seconds(10);
constexpr auto kStopWait = std::chrono::seconds(30);
constexpr auto kPoll = std::chrono::milliseconds(1);

struct Readiness {
  int status;
  std::string body;
};

Readiness evaluate(const std::map<std::string, ReadinessCheck>& checks,
                   const std::map<std::string, ReadinessInfo>& infos) {
  nlohmann::json results = nlohmann::json::object();
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& [name, check] : checks) {
    CheckResult r;
    // A check that throws is a failing check, not a crashed server thread.
    try {
      r = check();
    } catch (const std::exception& e) {
      r = std::unexpected(std::string("check threw: ") + e.what());
    } catch (...) {
      r = std::unexpected(std::string("check threw"));
    }
    if (r) {
      results[name] = {{"ok", true}};
    } else {
      results[name] = {{"ok", false}, {"message", r.error()}};
      failed.push_back({{"check", name}, {"message", r.error()}});
    }
  }
  const bool ready = failed.empty();
  nlohmann::json body = {{"status", ready ? "ready" : "not ready"}, {"checks", results}};
  if (!ready) body["failed"] = failed;
  if (!infos.empty()) {
    nlohmann::json info = nlohmann::json::object();
    for (const auto& [name, fn] : infos) {
      try {
        info[name] = fn();
      } catch (const std::exception& e) {
        info[name] = std::string("info threw: ") + e.what();
      }
    }
    body["info"] = info;
  }
  // Replace invalid UTF-8 in messages rather than throwing from dump().
  return {ready ? 200 : 503, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace

struct AdminServer::Impl {
  AdminServerOptions options;
  Registry& registry;
  httplib::Server server;
  std::mutex checks_mutex;
  std::map<std::string, ReadinessCheck> checks;  // guarded by checks_mutex
  std::map<std::string, ReadinessInfo> infos;    // guarded by checks_mutex

  std::mutex lifecycle_mutex;  // guards started, thread
  bool started = false;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  std::atomic<int> port{0};

  Impl(AdminServerOptions o, Registry& r) : options(std::move(o)), registry(r) {}
};

AdminServer::AdminServer(AdminServerOptions options, Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), registry)) {
  auto& svr = impl_->server;
  svr.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  svr.set_keep_alive_timeout(kKeepAliveSeconds);
  svr.set_read_timeout(kIoTimeoutSeconds);
  svr.set_write_timeout(kIoTimeoutSeconds);
  // httplib's default sets SO_REUSEPORT, which lets a second process bind the same
  // port and silently share probes and scrapes with us; a busy port must be an error.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  svr.Get("/readyz", [impl = impl_.get()](const httplib::Request&, httplib::Response& res) {
    std::map<std::string, ReadinessCheck> checks;
    std::map<std::string, ReadinessInfo> infos;
    {
      std::lock_guard lock(impl->checks_mutex);
      checks = impl->checks;  // run the checks without holding the lock
      infos = impl->infos;
    }
    auto r = evaluate(checks, infos);
    res.status = r.status;
    res.set_content(r.body, "application/json");
  });
  svr.Get("/metrics", [impl = impl_.get()](const httplib::Request&, httplib::Response& res) {
    res.set_content(impl->registry.serialize(), std::string(kMetricsContentType).c_str());
  });
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::add_readiness_check(std::string name, ReadinessCheck check) {
  std::lock_guard lock(impl_->checks_mutex);
  impl_->checks[std::move(name)] = std::move(check);
}

void AdminServer::add_readiness_info(std::string name, ReadinessInfo info) {
  std::lock_guard lock(impl_->checks_mutex);
  impl_->infos[std::move(name)] = std::move(info);
}

Result<int> AdminServer::start() {
  std::lock_guard lock(impl_->lifecycle_mutex);
  if (impl_->started) {
    return std::unexpected(Error{Errc::kAlreadyStarted, "admin server was already started"});
  }
  auto& svr = impl_->server;
  const auto& host = impl_->options.host;
  errno = 0;
  int port = impl_->options.port;
  if (port == 0) {
    port = svr.bind_to_any_port(host);
  } else if (!svr.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    const int err = errno;
    return std::unexpected(
        Error{Errc::kBindFailed,
              "admin server cannot listen on " + host + ":" + std::to_string(impl_->options.port) +
                  (err != 0 ? std::string(": ") + std::strerror(err) : std::string())});
  }
  impl_->started = true;
  impl_->port = port;
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->server.listen_after_bind();
    impl->listen_returned = true;
  });
  // httplib ignores stop() until its accept loop runs; waiting here makes start() then
  // stop() safe and means the server is serving when start() returns.
  const auto deadline = std::chrono::steady_clock::now() + kStartWait;
  while (!svr.is_running() && !impl_->listen_returned) {
    if (std::chrono::steady_clock::now() > deadline) {
      return std::unexpected(Error{Errc::kStartTimeout, "admin server did not start within 10s"});
    }
    std::this_thread::sleep_for(kPoll);
  }
  return port;
}

void AdminServer::stop() {
  std::lock_guard lock(impl_->lifecycle_mutex);
  if (!impl_->thread.joinable()) return;
  // Repeat stop() until the accept loop has seen it: a single call can land before
  // the loop starts (see start()). After that, join waits for in-flight requests.
  const auto deadline = std::chrono::steady_clock::now() + kStopWait;
  while (!impl_->listen_returned && std::chrono::steady_clock::now() < deadline) {
    impl_->server.stop();
    std::this_thread::sleep_for(kPoll);
  }
  impl_->thread.join();
}

int AdminServer::port() const { return impl_->port; }

}  // namespace aether::http
