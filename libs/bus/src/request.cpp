// Request-reply from the caller's side.
#include <aether/trace/trace.hpp>

#include <string>

#include "aether/bus/connection.hpp"
#include "connection_state.hpp"
#include "status.hpp"

namespace aether::bus {
namespace {

// Sends `headers` as given (trace context already chosen by the caller).
Result<RawReply> send_request(natsConnection* nc, std::string_view subject, std::string_view data,
                              const Headers& headers, std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) {
    return fail(Errc::kInvalidArgument, "request timeout must be > 0 ms");
  }
  auto msg = detail::make_msg(subject, nullptr, data, headers);
  if (!msg) return std::unexpected(msg.error());
  natsMsg* raw_reply = nullptr;
  natsStatus s = natsConnection_RequestMsg(&raw_reply, nc, msg->get(), timeout.count());
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
  RawReply out;
  out.headers = read_headers(reply.get());
  if (auto err = error_from_reply_headers(out.headers)) {
    err->message = std::string(subject) + ": " + err->message;
    return std::unexpected(std::move(*err));
  }
  const char* bytes = natsMsg_GetData(reply.get());
  out.data.assign(bytes != nullptr ? bytes : "",
                  static_cast<std::size_t>(natsMsg_GetDataLength(reply.get())));
  return out;
}

}  // namespace

Result<RawReply> Connection::request_raw(std::string_view subject, std::string_view data,
                                         Headers headers, std::chrono::milliseconds timeout) {
  inject_current_trace(headers);
  return send_request(native(), subject, data, headers, timeout);
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
  Headers headers = options.headers;
  headers.set(kContentTypeHeader, mime(options.content_type));
  if (!options.tenant.empty()) headers.set(kTenantHeader, options.tenant);
  trace::inject(span.context(), [&](std::string_view k, std::string_view v) { headers.set(k, v); });

  auto raw = send_request(native(), subject, *data, headers, options.timeout);
  if (!raw) return finish(raw.error());
  auto type = parse_content_type(raw->headers.get(kContentTypeHeader));
  if (!type) return finish(type.error());
  if (auto r = decode(raw->data, *type, reply); !r) {
    r.error().message = "reply from " + std::string(subject) + ": " + r.error().message;
    return finish(r.error());
  }
  span.set_status(trace::StatusCode::kOk);
  return {};
}

}  // namespace aether::bus
