#include "once.hpp"

namespace aether::provisioner {

int once_exit_code(const RoundResult& r) {
  switch (r.report.state()) {
    case NodeState::kUnsupported:
      return kExitUnsupported;
    case NodeState::kDegraded:
      return kExitDegraded;
    case NodeState::kProvisioned:
      break;
  }
  if (r.label_error) return kExitLabelFailed;
  return r.publish_error ? kExitPublishFailed : 0;
}

int run_once(NodeAgent& agent, const std::string& format, std::ostream& out) {
  agent.ensure_events_stream();
  const RoundResult r = agent.round();
  if (format == "json") {
    out << report_json(r.report);
  } else {
    out << report_text(r.report);
    if (r.label_error) out << "labelling failed: " << r.label_error->message << "\n";
    if (r.publish_error)
      out << "publishing the NodeEvent failed: " << r.publish_error->message << "\n";
  }
  out.flush();
  return once_exit_code(r);
}

}  // namespace aether::provisioner
