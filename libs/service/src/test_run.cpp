#include "aether/service/test_run.hpp"

#include <pthread.h>

#include <csignal>
#include <stdexcept>

namespace aether::service {

TestRun::TestRun(Service& service, std::vector<std::string> args,
                 std::map<std::string, std::string> env, StartFn start)
    : service_(service) {
  env.try_emplace("AETHER_ADMIN_ADDR", "127.0.0.1");
  env.try_emplace("AETHER_ADMIN_PORT", "0");
  Invocation inv = Invocation::with_env(std::move(args), std::move(env));
  inv.out = &out_;
  inv.err = &err_;
  inv.log_sink = sink_;
  inv.on_admin_started = [this](int port) {
    std::lock_guard lock(mutex_);
    listening_ = true;
    admin_port_ = port;
    cv_.notify_all();
  };
  inv.on_running = [this] {
    std::lock_guard lock(mutex_);
    started_ = true;
    cv_.notify_all();
  };
  thread_ = std::thread([this, inv = std::move(inv), start = std::move(start)] {
    const int code = service_.run(inv, [this, &start](Context& ctx) -> Result<Running> {
      {
        std::lock_guard lock(mutex_);
        admin_port_ = ctx.admin_port();
      }
      return start(ctx);
    });
    std::lock_guard lock(mutex_);
    finished_ = true;
    exit_code_ = code;
    cv_.notify_all();
  });
}

TestRun::~TestRun() {
  if (thread_.joinable()) {
    service_.request_stop(kExitOk);
    thread_.join();
  }
}

bool TestRun::wait_started(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [this] { return started_ || finished_; });
  return started_;
}

bool TestRun::wait_admin(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [this] { return listening_ || finished_; });
  return listening_;
}

int TestRun::admin_port() const {
  std::lock_guard lock(mutex_);
  return admin_port_;
}

void TestRun::signal(int sig) {
  {
    std::lock_guard lock(mutex_);
    if (!started_ && !listening_) {
      throw std::logic_error("TestRun::signal() before the run blocked its signals");
    }
    if (finished_) return;
  }
  ::pthread_kill(thread_.native_handle(), sig);
}

void TestRun::request_stop(int exit_code) { service_.request_stop(exit_code); }

int TestRun::wait() {
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  return exit_code_;
}

bool TestRun::finished() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

}  // namespace aether::service
