#include "node_agent.hpp"

#include <google/protobuf/empty.pb.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "aether/bus/jetstream.hpp"

namespace aether::provisioner {
namespace {

const char* errc_label(Errc code) {
  switch (code) {
    case Errc::kKubeAuth:
      return "auth";
    case Errc::kKubeUnreachable:
      return "unreachable";
    case Errc::kKubeForbidden:
      return "forbidden";
    case Errc::kKubeConflict:
      return "conflict";
    default:
      return "error";
  }
}

}  // namespace

std::string node_subject_token(const std::string& node) {
  std::string out = node;
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

std::string node_event_subject(const std::string& node, NodeState state) {
  return "aether.evt.node." + node_subject_token(node) + "." + node_state_name(state);
}

std::string node_probe_subject(const std::string& node) {
  return "aether.node." + node_subject_token(node) + ".probe";
}

NodeAgent::NodeAgent(Provisioner& provisioner, LabelerFactory labeler_factory,
                     std::optional<bus::Connection> bus, http::Registry& registry,
                     NodeAgentOptions options)
    : provisioner_(provisioner),
      labeler_factory_(std::move(labeler_factory)),
      bus_(std::move(bus)),
      options_(std::move(options)),
      kube_failures_(registry.counter_family("aether_node_kube_failures_total",
                                             "Kubernetes API calls that failed, by reason",
                                             {"reason"})),
      publish_failures_(registry.counter("aether_node_event_publish_failures_total",
                                         "NodeEvents the bus did not accept")),
      rounds_(registry.counter("aether_node_rounds_total", "Provisioning rounds run")) {}

NodeAgent::~NodeAgent() { stop(); }

std::optional<Error> NodeAgent::label(const NodeReport& report, v1::NodeEvent& event) {
  if (!labeler_factory_) return std::nullopt;
  if (!labeler_) {
    auto made = labeler_factory_();
    if (!made) return made.error();
    labeler_.emplace(std::move(*made));
  }
  auto outcome = labeler_->apply(report);
  if (!outcome) return outcome.error();
  event.mutable_labels()->clear();
  for (const auto& [k, v] : outcome->labels) (*event.mutable_labels())[k] = v;
  if (outcome->patched) {
    spdlog::info("node {}: labels now {}{}", report.node, nlohmann::json(outcome->labels).dump(),
                 outcome->taint_removed ? "; removed the aether.io/unprovisioned taint" : "");
  }
  return std::nullopt;
}

RoundResult NodeAgent::round() {
  std::lock_guard round_lock(round_mutex_);
  RoundResult r;
  r.report = provisioner_.run();
  rounds_.inc();
  r.event = report_event(r.report, desired_node_state(r.report).labels);
  r.label_error = label(r.report, r.event);
  if (r.label_error) {
    kube_failures_.labels({errc_label(r.label_error->code)}).inc();
    spdlog::error("node {}: labelling failed: {}", r.report.node, r.label_error->message);
  }
  if (bus_) {
    const auto subject = node_event_subject(r.report.node, r.report.state());
    auto ack = bus_->js_publish(subject, r.event);
    if (!ack) {
      r.publish_error = ack.error();
      publish_failures_.inc();
      spdlog::error("node {}: publishing {}: {}", r.report.node, subject, ack.error().message);
    }
  }
  spdlog::info("node {}: {} (runtime '{}'){}", r.report.node, node_state_name(r.report.state()),
               r.report.runtime, r.report.usable() ? "" : ": " + r.report.failure_summary());
  std::lock_guard lock(state_mutex_);
  last_event_ = r.event;
  last_report_ = r.report;
  label_error_ = r.label_error ? std::optional(r.label_error->message) : std::nullopt;
  return r;
}

void NodeAgent::ensure_events_stream() {
  if (!bus_) return;
  // Events go to the contract's stream; create it if nobody has yet, but
  // never change an operator's settings of an existing one.
  if (auto s = bus::ensure_stream(*bus_, bus::events_stream_config(), bus::IfExists::kLeave); !s) {
    spdlog::warn("stream AETHER_EVENTS: {} (events may be lost)", s.error().message);
  }
}

Result<void> NodeAgent::start() {
  ensure_events_stream();
  (void)round();
  if (bus_) {
    auto service = bus::Service::start(
        *bus_, {.name = "node-provisioner",
                .version = options_.version,
                .description = "probes the node for working KVM, installs VM assets, labels it",
                .metadata = {{"node", provisioner_.config().node}}});
    if (!service) return fail(Errc::kInvalidConfig, "NATS micro: " + service.error().message);
    service_ = std::move(*service);
    auto added = service_->add_endpoint<google::protobuf::Empty, v1::NodeEvent>(
        {.name = "probe", .subject = node_probe_subject(provisioner_.config().node)},
        [this](const google::protobuf::Empty&,
               const bus::RequestContext&) -> bus::Result<v1::NodeEvent> { return round().event; });
    if (!added) return fail(Errc::kInvalidConfig, "probe endpoint: " + added.error().message);
  }
  thread_ = std::thread([this] { loop(); });
  return {};
}

void NodeAgent::loop() {
  auto retry = options_.retry_min;
  auto next_round = std::chrono::steady_clock::now() + options_.interval;
  for (;;) {
    bool failing = false;
    {
      std::lock_guard lock(state_mutex_);
      failing = label_error_.has_value();
    }
    auto wake_at = next_round;
    if (failing) wake_at = std::min(next_round, std::chrono::steady_clock::now() + retry);
    {
      std::unique_lock lock(state_mutex_);
      if (wake_.wait_until(lock, wake_at, [this] { return stopping_; })) return;
    }
    if (std::chrono::steady_clock::now() >= next_round || !failing) {
      (void)round();
      next_round = std::chrono::steady_clock::now() + options_.interval;
      retry = options_.retry_min;
      continue;
    }
    // Only the labelling failed: retry it with the last report, backing off.
    std::lock_guard round_lock(round_mutex_);
    std::optional<NodeReport> report;
    {
      std::lock_guard lock(state_mutex_);
      report = last_report_;
    }
    if (!report) continue;
    v1::NodeEvent fresh = report_event(*report, desired_node_state(*report).labels);
    auto error = label(*report, fresh);
    std::lock_guard lock(state_mutex_);
    if (error) {
      kube_failures_.labels({errc_label(error->code)}).inc();
      spdlog::warn("node {}: labelling still failing (next try in {} ms): {}", report->node,
                   std::min(retry * 2, options_.retry_max).count(), error->message);
      label_error_ = error->message;
      retry = std::min(retry * 2, options_.retry_max);
    } else {
      spdlog::info("node {}: labelling works again", report->node);
      label_error_.reset();
      last_event_ = fresh;
      retry = options_.retry_min;
    }
  }
}

void NodeAgent::stop() {
  {
    std::lock_guard lock(state_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  service_.reset();
}

std::optional<std::string> NodeAgent::not_ready() const {
  std::lock_guard lock(state_mutex_);
  if (!last_event_) return "no provisioning round finished yet";
  if (label_error_) return "cannot label the node: " + *label_error_;
  if (bus_ && !bus_->connected()) return "not connected to NATS";
  return std::nullopt;
}

std::optional<v1::NodeEvent> NodeAgent::last_event() const {
  std::lock_guard lock(state_mutex_);
  return last_event_;
}

}  // namespace aether::provisioner
