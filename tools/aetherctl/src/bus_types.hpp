// Which protobuf message a bus subject carries (the bus contract's table in
// DESIGN.md), so `aetherctl bus publish|request` can check a JSON payload
// against it before sending, and name the field that is wrong.
#pragma once

#include <google/protobuf/descriptor.h>

#include <string>
#include <string_view>

namespace aether::ctl {

struct SubjectTypes {
  const google::protobuf::Descriptor* request = nullptr;  // null: unknown subject
  const google::protobuf::Descriptor* reply = nullptr;    // null: no reply (events, commands)
  bool jetstream = false;  // stored by a stream (publish with a PubAck)
};

[[nodiscard]] SubjectTypes types_for_subject(std::string_view subject);
// A message type by full name ("aether.v1.CreateVm"); null when unknown.
[[nodiscard]] const google::protobuf::Descriptor* find_type(const std::string& full_name);

}  // namespace aether::ctl
