// TestRun: a Service's whole start-up, run in-process on its own thread as main()
// would run it, with an injected environment, captured output and logs.
//
//   aether::service::Service svc({.program = "aether-x", .version = "1", .name = "x"});
//   auto& greeting = svc.spec().string("AETHER_GREETING", "hi", "...");
//   aether::service::TestRun run(svc, {}, {{"NATS_URL", nats.url()}}, start);
//   REQUIRE(run.wait_started());
//   httplib::Client admin("127.0.0.1", run.admin_port());  // /readyz, /metrics
//   run.signal(SIGTERM);                                    // a real signal
//   CHECK(run.wait() == 0);
//   CHECK_THAT(run.err(), ...);  run.log_lines();
//
// Unless `env` sets them, AETHER_ADMIN_ADDR is 127.0.0.1 and AETHER_ADMIN_PORT 0 (a free
// port), so runs never collide. Logs go to a CaptureSink (log::init replaces spdlog's
// default logger for the whole test process).
// Lifecycle: the constructor starts the run; the destructor asks it to stop and joins.
// Threads: every method from the test's thread; out()/err() only after wait().
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "aether/log/capture_sink.hpp"
#include "aether/service/context.hpp"
#include "aether/service/service.hpp"

namespace aether::service {

class TestRun {
 public:
  TestRun(Service& service, std::vector<std::string> args, std::map<std::string, std::string> env,
          StartFn start);
  ~TestRun();
  TestRun(const TestRun&) = delete;
  TestRun& operator=(const TestRun&) = delete;

  // True once start() returned successfully and the lifecycle readiness check says
  // running (so /readyz is green if the service's own checks are); false when run()
  // ended first (bad config, failed start) or the timeout passed.
  [[nodiscard]] bool wait_started(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // True once the admin server listens (before start() is called); false when run()
  // ended first or the timeout passed.
  [[nodiscard]] bool wait_admin(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The admin port once wait_admin() or wait_started() returned true.
  [[nodiscard]] int admin_port() const;
  // Sends `sig` to the run's thread, where run() receives it as it would from the
  // kernel. Only after wait_admin() or wait_started() returned true (the signals are
  // blocked by then).
  void signal(int sig);
  // As Context::request_stop() from another thread.
  void request_stop(int exit_code = kExitOk);
  // Joins the run; its exit code. Idempotent.
  int wait();
  [[nodiscard]] bool finished() const;

  [[nodiscard]] std::string out() const { return out_.str(); }
  [[nodiscard]] std::string err() const { return err_.str(); }
  [[nodiscard]] std::vector<std::string> log_lines() const { return sink_->lines(); }

 private:
  std::ostringstream out_;
  std::ostringstream err_;
  std::shared_ptr<log::CaptureSink> sink_ = std::make_shared<log::CaptureSink>();
  Service& service_;
  mutable std::mutex mutex_;  // guards the five below
  std::condition_variable cv_;
  bool listening_ = false;
  bool started_ = false;
  bool finished_ = false;
  int admin_port_ = 0;
  int exit_code_ = -1;
  std::thread thread_;
};

}  // namespace aether::service
