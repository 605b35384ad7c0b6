// `aetherctl bus publish|request` and `aetherctl services`: the bus as a
// person scripting against NATS uses it, with the contract's headers
// (traceparent, Nats-Msg-Id on commands, Content-Type, Aether-Tenant).
#pragma once

#include <string>

#include "context.hpp"

namespace aether::ctl {

struct BusSendOptions {
  std::string subject;
  std::string json;       // the payload as proto3 JSON (--json)
  std::string file;       // or read from a file, "-" for stdin (--file)
  std::string type;       // message type when the subject does not tell (--type)
  std::string msg_id;     // Nats-Msg-Id (--msg-id); default: the command's request id or a new id
  bool protobuf = false;  // send protobuf instead of JSON (--protobuf)
};

// Publishes (JetStream with a PubAck for stream subjects, else core NATS).
[[nodiscard]] Result<int> bus_publish(Context& ctx, const BusSendOptions& options);
// Request-reply; prints the reply.
[[nodiscard]] Result<int> bus_request(Context& ctx, const BusSendOptions& options);
// Every NATS micro service that answers $SRV.INFO (all Aether services).
[[nodiscard]] Result<int> list_services(Context& ctx);

// A request in JSON to `subject`, the reply as JSON (used by --bus commands).
[[nodiscard]] Result<Json> bus_call(Context& ctx, const std::string& subject, const Json& request);

// A new UUIDv7 (time-ordered), as the contract wants VM and request ids.
[[nodiscard]] std::string new_uuid_v7();

}  // namespace aether::ctl
