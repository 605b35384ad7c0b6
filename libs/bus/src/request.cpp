// Request-reply from the caller's side.
#include <aether/trace/trace.hpp>

#include <string>

#include "aether/bus/connection.hpp"
#include "connection_state.hpp"
#include "status.hpp"

namespace aether::bus {
namespace {

// A header of the reply: the exact name first (cheap, what our own and the
// micro libraries send), then a case-insensitive scan.
std::optional<std::string> reply_header(natsMsg* msg, std::string_view name) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, name.data(), &value) == NATS_OK && value != nullptr) {
    return std::string(value);
  }
  return read_headers(msg).get(name);
}

Result<MsgPtr> send_request(natsConnection* nc, std::string_view subject, natsMsg* msg,
                            std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) {
    return fail(Errc::kInvalidArgument, "request timeout must be > 0 ms");
  }
  natsMsg* raw_reply = nullptr;
  natsStatus s = natsConnection_RequestMsg(&raw_reply, nc, msg, timeout.count());
  MsgPtr reply(raw_reply);
  if (s != NATS_OK) {
    auto err = detail::status_error(s, "request to " + std::string(subject));
    if (s == NATS_NO_RESPONDERS) err.message = "no responders on " + std::string(subject);
    if (s == NATS_TIMEOUT) {
      err.message = "no reply on " + std::string(subject) + " within " +
                    std::to_string(timeout.count()) + " ms";
    }
    return std::unexpected(std::move(err));
  }
  const char* code = nullptr;
  const char* text = nullptr;
  const bool has_code =
      natsMsgHeader_Get(reply.get(), kServiceErrorCodeHeader.data(), &code) == NATS_OK;
  const bool has_text =
      natsMsgHeader_Get(reply.get(), kServiceErrorHeader.data(), &text) == NATS_OK;
  if (has_code || has_text) {
    Headers h;
    if (has_code) h.set(kServiceErrorCodeHeader, code);
    if (has_text) h.set(kServiceErrorHeader, text);
    auto err = error_from_reply_headers(h);
    err->message = std::string(subject) + ": " + err->message;
    return std::unexpected(std::move(*err));
  }
  return reply;
}

std::string_view payload(natsMsg* msg) {
  const char* bytes = natsMsg_GetData(msg);
  return {bytes != nullptr ? bytes : "", static_cast<std::size_t>(natsMsg_GetDataLength(msg))};
}

}  // namespace

Result<RawReply> Connection::request_raw(std::string_view subject, std::string_view data,
                                         Headers headers, std::chrono::milliseconds timeout) {
  inject_current_trace(headers);
  auto msg = detail::make_msg(subject, nullptr, data, headers);
  if (!msg) return std::unexpected(msg.error());
  auto reply = send_request(native(), subject, msg->get(), timeout);
  if (!reply) return std::unexpected(reply.error());
  return RawReply{std::string(payload(reply->get())), read_headers(reply->get())};
}

Result<void> Connection::request(std::string_view subject, const google::protobuf::Message& request,
                                 google::protobuf::Message& reply, const RequestOptions& options) {
  trace::Span span(
      options.span_name.empty() ? name() + " request " + std::string(subject) : options.span_name,
      trace::SpanKind::kClient);
  span.set_attribute("messaging.system", std::string("nats"));
  span.set_attribute("messaging.destination.name", std::string(subject));
  auto finish = [&](Error err) -> Result<void> {
    span.set_error(std::string(to_string(err.code)) + ": " + err.message);
    if (err.service_code != 0) {
      span.set_attribute("rpc.nats.service_error_code", std::int64_t{err.service_code});
    }
    return std::unexpected(std::move(err));
  };

  auto data = encode(request, options.content_type);
  if (!data) return finish(data.error());
  auto msg = detail::make_msg(subject, nullptr, *data, options.headers);
  if (!msg) return finish(msg.error());
  // The client span (not the caller's current one) is the server's parent.
  if (auto r = detail::set_standard_headers(msg->get(), options.content_type, options.tenant,
                                            &span.context());
      !r) {
    return finish(r.error());
  }
  auto answer = send_request(native(), subject, msg->get(), options.timeout);
  if (!answer) return finish(answer.error());
  auto type = parse_content_type(reply_header(answer->get(), kContentTypeHeader));
  if (!type) return finish(type.error());
  if (auto r = decode(payload(answer->get()), *type, reply); !r) {
    r.error().message = "reply from " + std::string(subject) + ": " + r.error().message;
    return finish(r.error());
  }
  span.set_status(trace::StatusCode::kOk);
  return {};
}

}  // namespace aether::bus
