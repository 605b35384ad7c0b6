#include "exec_actuator.hpp"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "aether/process/process.hpp"

namespace aether::autoscaler {

namespace {
std::string join(const std::vector<WorkerView>& ws, std::string WorkerView::*field) {
  std::string out;
  for (const auto& w : ws) out += (out.empty() ? "" : ",") + w.*field;
  return out;
}
}  // namespace

Result<std::string> ExecActuator::run(const std::string& script,
                                      const std::vector<std::string>& env,
                                      const std::vector<std::string>& args) {
  static int counter = 0;
  const auto log = config_.log_dir / ("aether-autoscaler-exec." + std::to_string(::getpid()) + "." +
                                      std::to_string(++counter) + ".log");
  process::Spec spec;
  spec.argv = {"/usr/bin/env"};
  for (const auto& e : env) spec.argv.push_back(e);
  spec.argv.insert(spec.argv.end(), {"/bin/sh", "-c", script, "aether-autoscaler"});
  for (const auto& a : args) spec.argv.push_back(a);
  spec.log_file = log;
  spec.stop_grace = std::chrono::milliseconds(2000);
  auto child = process::ChildProcess::spawn(spec);
  if (!child) return fail(Errc::kActuator, "exec actuator: " + child.error().message);
  const bool ended = child->wait_for(config_.timeout);
  if (!ended) child->kill();
  std::ifstream in(log);
  std::stringstream out;
  out << in.rdbuf();
  std::error_code ec;
  std::filesystem::remove(log, ec);
  if (!ended || !child->exited_successfully()) {
    const std::string tail = out.str();
    return fail(
        Errc::kActuator,
        "exec actuator: '" + script + "' " +
            (ended ? child->describe_exit()
                   : "ran past its timeout of " + std::to_string(config_.timeout.count()) +
                         " ms and was killed") +
            (tail.empty() ? "" : ": " + tail.substr(tail.size() > 2000 ? tail.size() - 2000 : 0)));
  }
  return out.str();
}

Result<int> ExecActuator::current() {
  if (!config_.query_command.empty()) {
    auto out = run(config_.query_command, {}, {});
    if (!out) return std::unexpected(out.error());
    std::string text = *out;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    int n = -1;
    auto [p, e] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (e != std::errc() || p != text.data() + text.size() || n < 0) {
      return fail(Errc::kActuator,
                  "exec actuator: query command printed '" + text + "', not a worker count");
    }
    return n;
  }
  if (replicas_ >= 0) return replicas_;
  return observed_ ? observed_() : 0;
}

Result<void> ExecActuator::scale(const ScaleRequest& r) {
  const std::vector<std::string> env = {
      "AETHER_SCALE_FROM=" + std::to_string(r.from), "AETHER_SCALE_TO=" + std::to_string(r.to),
      "AETHER_SCALE_REMOVE_WORKERS=" + join(r.remove, &WorkerView::id),
      "AETHER_SCALE_REMOVE_NODES=" + join(r.remove, &WorkerView::node)};
  auto out = run(config_.command, env, {std::to_string(r.to)});
  if (!out) return std::unexpected(out.error());
  replicas_ = r.to;
  return {};
}

}  // namespace aether::autoscaler
