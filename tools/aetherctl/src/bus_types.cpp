#include "bus_types.hpp"

#include <vector>

#include "aether/v1/exec.pb.h"
#include "aether/v1/files.pb.h"
#include "aether/v1/node.pb.h"
#include "aether/v1/scale.pb.h"
#include "aether/v1/vm.pb.h"
#include "aether/v1/worker.pb.h"

namespace aether::ctl {
namespace {

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = s.find('.', start)) != std::string_view::npos; start = dot + 1) {
    parts.push_back(s.substr(start, dot - start));
  }
  parts.push_back(s.substr(start));
  return parts;
}

}  // namespace

const google::protobuf::Descriptor* find_type(const std::string& full_name) {
  // Touch every message file so its descriptors are registered even when the
  // linker would otherwise drop an unreferenced .pb.o from the archive.
  static const bool linked = [] {
    (void)v1::CreateVm::descriptor();
    (void)v1::ExecRequest::descriptor();
    (void)v1::FilePut::descriptor();
    (void)v1::NodeEvent::descriptor();
    (void)v1::ScaleDecision::descriptor();
    (void)v1::WorkerStatus::descriptor();
    return true;
  }();
  (void)linked;
  return google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(full_name);
}

SubjectTypes types_for_subject(std::string_view subject) {
  auto p = split(subject);
  auto is = [&](std::size_t i, std::string_view v) { return p.size() > i && p[i] == v; };
  if (!is(0, "aether")) return {};
  if (is(1, "cmd") && is(2, "vm") && is(3, "create")) {
    return {v1::CreateVm::descriptor(), nullptr, true};
  }
  if (is(1, "vm") && p.size() >= 4) {
    std::string op;
    for (std::size_t i = 3; i < p.size(); ++i) op += (i > 3 ? "." : "") + std::string(p[i]);
    if (op == "exec") return {v1::ExecRequest::descriptor(), v1::ExecReply::descriptor()};
    if (op == "files.put") return {v1::FilePut::descriptor(), v1::FilePutReply::descriptor()};
    if (op == "files.get") return {v1::FileGet::descriptor(), v1::FileGetReply::descriptor()};
    if (op == "stop") return {v1::StopVm::descriptor(), v1::VmOpReply::descriptor()};
    if (op == "delete") return {v1::DeleteVm::descriptor(), v1::VmOpReply::descriptor()};
    if (op == "pause") return {v1::PauseVm::descriptor(), v1::VmOpReply::descriptor()};
    if (op == "resume") return {v1::ResumeVm::descriptor(), v1::VmOpReply::descriptor()};
    if (op == "status") {
      return {v1::VmStatusRequest::descriptor(), v1::VmStatusReply::descriptor()};
    }
  }
  if (is(1, "worker") && p.size() == 4) {
    if (p[3] == "drain") return {v1::DrainWorker::descriptor(), v1::DrainReply::descriptor()};
    if (p[3] == "status") return {nullptr, v1::WorkerStatus::descriptor()};
  }
  if (is(1, "evt")) {
    if (is(2, "vm")) return {v1::VmEvent::descriptor(), nullptr, true};
    if (is(2, "worker")) return {v1::WorkerEvent::descriptor(), nullptr, true};
    if (is(2, "node")) return {v1::NodeEvent::descriptor(), nullptr, true};
    if (is(2, "scale")) return {v1::ScaleDecision::descriptor(), nullptr, true};
  }
  return {};
}

}  // namespace aether::ctl
