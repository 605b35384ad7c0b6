#include "bus_commands.hpp"

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>

#include "aether/bus/handles.hpp"
#include "aether/bus/headers.hpp"
#include "aether/trace/trace.hpp"
#include "bus_types.hpp"

namespace aether::ctl {
namespace {

namespace pb = google::protobuf;

Result<std::string> payload_text(const BusSendOptions& o) {
  if (!o.json.empty() && !o.file.empty())
    return fail(kExitUsage, "give --json or --file, not both");
  if (!o.file.empty()) {
    std::stringstream buffer;
    if (o.file == "-") {
      buffer << std::cin.rdbuf();
    } else {
      std::ifstream in(o.file, std::ios::binary);
      if (!in) return fail(kExitUsage, "--file " + o.file + ": cannot be read");
      buffer << in.rdbuf();
    }
    return buffer.str();
  }
  return o.json.empty() ? std::string("{}") : o.json;
}

const pb::Descriptor* request_type(const BusSendOptions& o, const SubjectTypes& types) {
  if (!o.type.empty()) return find_type(o.type);
  return types.request;
}

// The payload checked against its type: a message to send, or an error that
// names the type and what the parser disliked.
Result<std::unique_ptr<pb::Message>> parse_payload(const pb::Descriptor* type,
                                                   const std::string& text) {
  static pb::DynamicMessageFactory factory;
  std::unique_ptr<pb::Message> message(factory.GetPrototype(type)->New());
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = pb::util::JsonStringToMessage(text, message.get(), options);
  if (!status.ok()) {
    return fail(kExitInvalid, "payload is not a valid " + type->full_name() + ": " +
                                  std::string(status.message()));
  }
  return message;
}

std::string default_msg_id(const pb::Message& message) {
  const auto* field = message.GetDescriptor()->FindFieldByName("request_id");
  if (field != nullptr && field->type() == pb::FieldDescriptor::TYPE_STRING) {
    std::string id = message.GetReflection()->GetString(message, field);
    if (!id.empty()) return id;
  }
  return new_uuid_v7();
}

int exit_code_for(const bus::Error& e) {
  switch (e.code) {
    case bus::Errc::kNoResponders:
      return kExitNotFound;
    case bus::Errc::kTimeout:
    case bus::Errc::kNotConnected:
      return kExitUnavailable;
    case bus::Errc::kServiceError:
      return exit_code_for_service_code(e.service_code);
    case bus::Errc::kInvalidArgument:
    case bus::Errc::kDecode:
      return kExitInvalid;
    default:
      return kExitError;
  }
}

void print_json_text(Context& ctx, const std::string& text) {
  Json parsed = Json::parse(text, nullptr, false);
  if (parsed.is_discarded()) {
    ctx.out() << text << "\n";
  } else {
    print_object(ctx.out(),
                 ctx.format() == OutputFormat::kTable ? OutputFormat::kJson : ctx.format(), parsed);
  }
}

}  // namespace

std::string new_uuid_v7() {
  static std::mt19937_64 rng{std::random_device{}()};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  unsigned char b[16];
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  std::uint64_t r1 = rng();
  std::uint64_t r2 = rng();
  for (int i = 6; i < 16; ++i) {
    b[i] = static_cast<unsigned char>((i < 11 ? r1 >> (8 * (i - 6)) : r2 >> (8 * (i - 11))));
  }
  b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0f));  // version 7
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));  // RFC 4122 variant
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += hex[b[i] >> 4];
    s += hex[b[i] & 0x0f];
  }
  return s;
}

Result<int> bus_publish(Context& ctx, const BusSendOptions& options) {
  auto text = payload_text(options);
  if (!text) return std::unexpected(text.error());
  auto types = types_for_subject(options.subject);
  const auto* type = request_type(options, types);
  if (!options.type.empty() && type == nullptr) {
    return fail(kExitUsage, "--type " + options.type + ": no such message type");
  }
  auto connection = ctx.bus();
  if (!connection) return std::unexpected(connection.error());
  trace::Span span("aetherctl bus publish", trace::SpanKind::kProducer, std::nullopt);
  span.set_attribute("messaging.destination.name", options.subject);
  auto scope = span.activate();
  const auto content = options.protobuf ? bus::ContentType::kProtobuf : bus::ContentType::kJson;

  if (type == nullptr) {
    if (options.protobuf) {
      return fail(kExitUsage,
                  options.subject + ": no known message type; give --type to send protobuf");
    }
    bus::Headers headers{{std::string(bus::kContentTypeHeader), std::string(bus::kJsonMime)}};
    if (!ctx.settings().tenant.empty()) headers.set(bus::kTenantHeader, ctx.settings().tenant);
    if (auto r = (*connection)->publish_raw(options.subject, *text, headers); !r) {
      return fail(exit_code_for(r.error()), options.subject + ": " + r.error().message);
    }
    if (auto r = (*connection)->flush(ctx.timeout()); !r) {
      return fail(kExitUnavailable, "NATS flush: " + r.error().message);
    }
    ctx.err() << "published to " << options.subject << " (trace " << span.context().trace_id_hex()
              << ")\n";
    return kExitOk;
  }
  auto message = parse_payload(type, *text);
  if (!message) return std::unexpected(message.error());
  if (types.jetstream || !options.msg_id.empty()) {
    std::string msg_id = options.msg_id.empty() ? default_msg_id(**message) : options.msg_id;
    auto ack = (*connection)
                   ->js_publish(options.subject, **message,
                                {.content_type = content,
                                 .tenant = ctx.settings().tenant,
                                 .msg_id = msg_id,
                                 .timeout = ctx.timeout()});
    if (!ack) return fail(exit_code_for(ack.error()), options.subject + ": " + ack.error().message);
    Json out = {{"stream", ack->stream},
                {"sequence", ack->sequence},
                {"duplicate", ack->duplicate},
                {"msgId", msg_id},
                {"traceId", span.context().trace_id_hex()}};
    print_object(ctx.out(), ctx.format(), out);
    return kExitOk;
  }
  if (auto r = (*connection)
                   ->publish(options.subject, **message,
                             {.content_type = content, .tenant = ctx.settings().tenant});
      !r) {
    return fail(exit_code_for(r.error()), options.subject + ": " + r.error().message);
  }
  (void)(*connection)->flush(ctx.timeout());
  ctx.err() << "published to " << options.subject << " (trace " << span.context().trace_id_hex()
            << ")\n";
  return kExitOk;
}

Result<int> bus_request(Context& ctx, const BusSendOptions& options) {
  auto text = payload_text(options);
  if (!text) return std::unexpected(text.error());
  auto types = types_for_subject(options.subject);
  const auto* type = request_type(options, types);
  std::string payload = *text;
  if (type != nullptr) {
    auto message = parse_payload(type, *text);
    if (!message) return std::unexpected(message.error());
    if (options.protobuf) payload = (*message)->SerializeAsString();
  }
  auto connection = ctx.bus();
  if (!connection) return std::unexpected(connection.error());
  trace::Span span("aetherctl bus request", trace::SpanKind::kClient, std::nullopt);
  auto scope = span.activate();
  bus::Headers headers{{std::string(bus::kContentTypeHeader),
                        std::string(options.protobuf ? bus::kProtobufMime : bus::kJsonMime)}};
  if (!ctx.settings().tenant.empty()) headers.set(bus::kTenantHeader, ctx.settings().tenant);
  auto reply = (*connection)->request_raw(options.subject, payload, headers, ctx.timeout());
  if (!reply)
    return fail(exit_code_for(reply.error()), options.subject + ": " + reply.error().message);
  if (options.protobuf && types.reply != nullptr) {
    static pb::DynamicMessageFactory factory;
    std::unique_ptr<pb::Message> decoded(factory.GetPrototype(types.reply)->New());
    if (!decoded->ParseFromString(reply->data)) {
      return fail(kExitError, "the reply is not a valid " + types.reply->full_name());
    }
    std::string json;
    (void)pb::util::MessageToJsonString(*decoded, &json);
    print_json_text(ctx, json);
  } else {
    print_json_text(ctx, reply->data);
  }
  return kExitOk;
}

Result<Json> bus_call(Context& ctx, const std::string& subject, const Json& request) {
  auto connection = ctx.bus();
  if (!connection) return std::unexpected(connection.error());
  bus::Headers headers{{std::string(bus::kContentTypeHeader), std::string(bus::kJsonMime)}};
  if (!ctx.settings().tenant.empty()) headers.set(bus::kTenantHeader, ctx.settings().tenant);
  auto reply = (*connection)->request_raw(subject, request.dump(), headers, ctx.timeout());
  if (!reply) {
    if (reply.error().code == bus::Errc::kNoResponders) {
      return fail(kExitNotFound, subject + ": no worker holds this VM (no responders)");
    }
    return fail(exit_code_for(reply.error()), subject + ": " + reply.error().message);
  }
  Json parsed = Json::parse(reply->data.empty() ? "{}" : reply->data, nullptr, false);
  if (parsed.is_discarded()) return fail(kExitError, subject + ": the reply is not JSON");
  return parsed;
}

Result<int> list_services(Context& ctx) {
  auto connection = ctx.bus();
  if (!connection) return std::unexpected(connection.error());
  natsConnection* nc = (*connection)->native();
  natsInbox* raw_inbox = nullptr;
  if (natsInbox_Create(&raw_inbox) != NATS_OK) return fail(kExitError, "cannot create an inbox");
  bus::InboxPtr inbox(raw_inbox);
  natsSubscription* raw_sub = nullptr;
  if (natsConnection_SubscribeSync(&raw_sub, nc, inbox.get()) != NATS_OK) {
    return fail(kExitUnavailable, "cannot subscribe on NATS " + ctx.settings().nats_url);
  }
  bus::SubPtr sub(raw_sub);
  if (natsConnection_PublishRequest(nc, "$SRV.INFO", inbox.get(), "", 0) != NATS_OK ||
      natsConnection_Flush(nc) != NATS_OK) {
    return fail(kExitUnavailable, "cannot publish $SRV.INFO on NATS " + ctx.settings().nats_url);
  }
  Json services = Json::array();
  // Every service answers once, at its own pace (a loaded machine delays the
  // first by well over a round trip). With none listening the server says so at
  // once (no responders). So: wait up to the command's timeout for the first
  // answer, then keep collecting while answers come within a quiet period of
  // twice the first one's delay (at least 500 ms).
  const auto started = std::chrono::steady_clock::now();
  auto wait = ctx.timeout();
  for (;;) {
    natsMsg* raw_msg = nullptr;
    if (natsSubscription_NextMsg(&raw_msg, sub.get(), wait.count()) != NATS_OK) break;
    bus::MsgPtr msg(raw_msg);
    if (natsMsg_IsNoResponders(msg.get())) break;
    if (services.empty()) {
      const auto first = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      wait = std::max(std::chrono::milliseconds(500), 2 * first);
    }
    Json info =
        Json::parse(std::string_view(natsMsg_GetData(msg.get()),
                                     static_cast<std::size_t>(natsMsg_GetDataLength(msg.get()))),
                    nullptr, false);
    if (!info.is_object()) continue;
    Json endpoints = Json::array();
    for (const auto& e : info.value("endpoints", Json::array())) {
      endpoints.push_back(e.value("subject", std::string()));
    }
    info["endpointSubjects"] = endpoints;
    services.push_back(std::move(info));
  }
  Json doc = {{"services", services}};
  print_rows(ctx.out(), ctx.format(), doc, services,
             {{"NAME", "/name"},
              {"ID", "/id"},
              {"VERSION", "/version"},
              {"ENDPOINTS", "/endpointSubjects"}});
  return kExitOk;
}

}  // namespace aether::ctl
