#include "aether/bus/connection.hpp"

#include <spdlog/spdlog.h>
#include <aether/trace/trace.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "connection_state.hpp"
#include "status.hpp"

namespace aether::bus {
namespace {

// cnats' callbacks get a heap-allocated reference to the connection's events;
// the closed callback, which cnats calls last and once, frees it.
using EventsRef = std::shared_ptr<ConnectionEvents>;

ConnectionEvents& events_of(void* closure) { return **static_cast<EventsRef*>(closure); }

void on_disconnected(natsConnection* nc, void* closure) noexcept {
  // Closing our own connection passes through here too: not worth a warning.
  if (natsConnection_IsClosed(nc)) {
    spdlog::debug("nats connection '{}' disconnected on close", events_of(closure).name);
    return;
  }
  const char* err = nullptr;
  natsConnection_GetLastError(nc, &err);
  spdlog::warn("nats connection '{}' disconnected: {}", events_of(closure).name,
               err != nullptr && *err != '\0' ? err : "connection lost");
}

void on_reconnected(natsConnection* nc, void* closure) noexcept {
  char url[256] = {0};
  natsConnection_GetConnectedUrl(nc, url, sizeof(url));
  spdlog::info("nats connection '{}' reconnected to {}", events_of(closure).name, url);
}

void on_closed(natsConnection*, void* closure) noexcept {
  auto* ref = static_cast<EventsRef*>(closure);
  ConnectionEvents& events = **ref;
  spdlog::info("nats connection '{}' closed", events.name);
  {
    std::lock_guard lock(events.mutex);
    events.closed = true;
  }
  events.closed_cv.notify_all();
  delete ref;
}

void on_async_error(natsConnection*, natsSubscription* sub, natsStatus err,
                    void* closure) noexcept {
  const char* subject = sub != nullptr ? natsSubscription_GetSubject(sub) : nullptr;
  spdlog::error("nats connection '{}' async error on '{}': {}", events_of(closure).name,
                subject != nullptr ? subject : "-", natsStatus_GetText(err));
}

Result<void> check(natsStatus s, std::string_view what) {
  if (s != NATS_OK) return detail::fail_status(s, what);
  return {};
}

}  // namespace

Connection::State::~State() {
  js.reset();
  if (!nc || !events) return;
  natsConnection_Close(nc.get());
  std::unique_lock lock(events->mutex);
  if (!events->closed_cv.wait_for(lock, std::chrono::seconds(5), [&] { return events->closed; })) {
    spdlog::warn("nats connection '{}': no closed callback 5 s after close", name);
  }
}

namespace detail {

Result<MsgPtr> make_msg(std::string_view subject, const char* reply, std::string_view data,
                        const Headers& headers) {
  if (subject.empty()) return fail(Errc::kInvalidArgument, "subject must not be empty");
  // Subjects are short: a stack copy avoids an allocation per message.
  char small[256];
  std::string large;
  const char* subj = small;
  if (subject.size() < sizeof(small)) {
    subject.copy(small, subject.size());
    small[subject.size()] = '\0';
  } else {
    large.assign(subject);
    subj = large.c_str();
  }
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subj, reply, data.data(), static_cast<int>(data.size()));
  MsgPtr msg(raw);
  if (s != NATS_OK) return fail_status(s, "creating message for " + std::string(subject));
  if (auto r = write_headers(msg.get(), headers); !r) return std::unexpected(r.error());
  return msg;
}

Result<void> set_header(natsMsg* msg, const char* key, const char* value) {
  if (natsStatus s = natsMsgHeader_Set(msg, key, value); s != NATS_OK) {
    return fail_status(s, std::string("setting header ") + key);
  }
  return {};
}

Result<void> set_standard_headers(natsMsg* msg, ContentType type, const std::string& tenant,
                                  const trace::SpanContext* span) {
  // The header-name constants are string literals, so data() is NUL-terminated.
  auto r = set_header(msg, kContentTypeHeader.data(), mime(type).data());
  if (r && !tenant.empty()) r = set_header(msg, kTenantHeader.data(), tenant.c_str());
  if (r && span != nullptr && span->valid()) {
    const std::string traceparent = trace::format_traceparent(*span);
    r = set_header(msg, kTraceparent.data(), traceparent.c_str());
    if (r && !span->tracestate.empty()) {
      r = set_header(msg, kTracestate.data(), span->tracestate.c_str());
    }
  }
  return r;
}

}  // namespace detail

Result<Connection> Connection::connect(const ConnectOptions& o) {
  if (o.url.empty()) return fail(Errc::kInvalidArgument, "NATS url must not be empty");
  if (o.max_reconnect_attempts < -1) {
    return fail(Errc::kInvalidArgument, "max_reconnect_attempts must be -1 (forever) or >= 0");
  }
  // A list (NATS_URL=nats://a:4222,nats://b:4222) goes in as a server pool:
  // natsOptions_SetURL takes one URL and would read the rest as its port.
  std::vector<std::string> servers;
  for (std::size_t at = 0; at <= o.url.size();) {
    const auto comma = std::min(o.url.find(',', at), o.url.size());
    auto item = o.url.substr(at, comma - at);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty()) return fail(Errc::kInvalidArgument, "NATS url '" + o.url + "': empty item");
    servers.push_back(std::move(item));
    at = comma + 1;
  }
  natsOptions* raw_opts = nullptr;
  if (auto s = natsOptions_Create(&raw_opts); s != NATS_OK) {
    return detail::fail_status(s, "creating nats options");
  }
  OptionsPtr opts(raw_opts);
  auto events = std::make_shared<ConnectionEvents>();
  events->name = o.name.empty() ? "aether" : o.name;
  auto* log = new EventsRef(events);
  bool log_owned_by_cnats = false;
  auto cleanup = [&] {
    if (!log_owned_by_cnats) delete log;
  };

  std::vector<const char*> server_ptrs;
  for (const auto& server : servers) server_ptrs.push_back(server.c_str());
  Result<void> r = servers.size() == 1
                       ? check(natsOptions_SetURL(opts.get(), servers[0].c_str()), "NATS url")
                       : check(natsOptions_SetServers(opts.get(), server_ptrs.data(),
                                                      static_cast<int>(server_ptrs.size())),
                               "NATS server list");
  if (r) r = check(natsOptions_SetName(opts.get(), events->name.c_str()), "connection name");
  if (r) r = check(natsOptions_SetAllowReconnect(opts.get(), true), "allow reconnect");
  if (r) r = check(natsOptions_SetMaxReconnect(opts.get(), o.max_reconnect_attempts), "reconnects");
  if (r) r = check(natsOptions_SetReconnectWait(opts.get(), o.reconnect_wait.count()), "wait");
  if (r) {
    r = check(natsOptions_SetReconnectJitter(opts.get(), o.reconnect_jitter.count(),
                                             o.reconnect_jitter.count()),
              "reconnect jitter");
  }
  if (r) r = check(natsOptions_SetTimeout(opts.get(), o.connect_timeout.count()), "timeout");
  if (r) r = check(natsOptions_SetDisconnectedCB(opts.get(), on_disconnected, log), "cb");
  if (r) r = check(natsOptions_SetReconnectedCB(opts.get(), on_reconnected, log), "cb");
  if (r) r = check(natsOptions_SetClosedCB(opts.get(), on_closed, log), "cb");
  if (r) r = check(natsOptions_SetErrorHandler(opts.get(), on_async_error, log), "cb");
  if (r && o.send_asap) r = check(natsOptions_SetSendAsap(opts.get(), true), "send asap");
  if (r && o.retry_on_failed_connect) {
    r = check(natsOptions_SetRetryOnFailedConnect(opts.get(), true, nullptr, nullptr), "retry");
  }
  if (!r) {
    cleanup();
    return std::unexpected(r.error());
  }

  natsConnection* raw_nc = nullptr;
  natsStatus s = natsConnection_Connect(&raw_nc, opts.get());
  if (s != NATS_OK && !(s == NATS_NOT_YET_CONNECTED && raw_nc != nullptr)) {
    cleanup();
    return detail::fail_status(s, "connecting to " + o.url);
  }
  log_owned_by_cnats = true;  // the closed callback frees it from now on
  auto state = std::make_shared<State>();
  state->nc.reset(raw_nc);
  state->events = events;
  state->name = events->name;
  state->jetstream_timeout = o.jetstream_timeout;

  jsOptions js_opts;
  jsOptions_Init(&js_opts);
  js_opts.Wait = o.jetstream_timeout.count();
  jsCtx* raw_js = nullptr;
  if (auto js_s = natsConnection_JetStream(&raw_js, raw_nc, &js_opts); js_s != NATS_OK) {
    return detail::fail_status(js_s, "creating JetStream context");
  }
  state->js.reset(raw_js);
  if (s == NATS_OK) spdlog::info("nats connection '{}' connected to {}", state->name, o.url);
  return Connection(std::move(state));
}

Result<void> Connection::publish_raw(std::string_view subject, std::string_view data,
                                     Headers headers) {
  inject_current_trace(headers);
  auto msg = detail::make_msg(subject, nullptr, data, headers);
  if (!msg) return std::unexpected(msg.error());
  if (natsStatus s = natsConnection_PublishMsg(native(), msg->get()); s != NATS_OK) {
    return detail::fail_status(s, "publishing to " + std::string(subject));
  }
  return {};
}

Result<void> Connection::publish(std::string_view subject, const google::protobuf::Message& message,
                                 const PublishOptions& options) {
  auto data = encode(message, options.content_type);
  if (!data) return std::unexpected(data.error());
  auto msg = detail::make_msg(subject, nullptr, *data, options.headers);
  if (!msg) return std::unexpected(msg.error());
  const auto current = trace::current_context();
  if (auto r = detail::set_standard_headers(msg->get(), options.content_type, options.tenant,
                                            current ? &*current : nullptr);
      !r) {
    return r;
  }
  if (natsStatus s = natsConnection_PublishMsg(native(), msg->get()); s != NATS_OK) {
    return detail::fail_status(s, "publishing to " + std::string(subject));
  }
  return {};
}

Result<PubAck> Connection::js_publish(std::string_view subject,
                                      const google::protobuf::Message& message,
                                      const JsPublishOptions& options) {
  auto data = encode(message, options.content_type);
  if (!data) return std::unexpected(data.error());
  trace::Span span(
      options.span_name.empty() ? name() + " publish " + std::string(subject) : options.span_name,
      trace::SpanKind::kProducer);
  span.set_attribute("messaging.system", std::string("nats"));
  span.set_attribute("messaging.destination.name", std::string(subject));
  auto msg = detail::make_msg(subject, nullptr, *data, options.headers);
  if (!msg) return std::unexpected(msg.error());
  if (auto r = detail::set_standard_headers(msg->get(), options.content_type, options.tenant,
                                            &span.context());
      !r) {
    return std::unexpected(r.error());
  }
  jsPubOptions pub_opts;
  jsPubOptions_Init(&pub_opts);
  pub_opts.MaxWait = options.timeout.count();
  if (!options.msg_id.empty()) pub_opts.MsgId = options.msg_id.c_str();
  jsPubAck* raw_ack = nullptr;
  jsErrCode js_err = static_cast<jsErrCode>(0);
  natsStatus s = js_PublishMsg(&raw_ack, jetstream(), msg->get(), &pub_opts, &js_err);
  PubAckPtr ack(raw_ack);
  if (s != NATS_OK) {
    auto err = detail::status_error(s, "JetStream publish to " + std::string(subject), js_err);
    if (s == NATS_NO_RESPONDERS) {
      err.code = Errc::kJetStream;
      err.message = "JetStream publish to " + std::string(subject) + ": no stream captures it";
    }
    span.set_error(err.message);
    return std::unexpected(std::move(err));
  }
  PubAck out{ack->Stream != nullptr ? ack->Stream : "", ack->Sequence, ack->Duplicate};
  span.set_attribute("messaging.nats.duplicate", out.duplicate);
  return out;
}

Result<void> Connection::flush(std::chrono::milliseconds timeout) {
  return check(natsConnection_FlushTimeout(native(), timeout.count()), "flush");
}

bool Connection::connected() const {
  return natsConnection_Status(native()) == NATS_CONN_STATUS_CONNECTED;
}

const std::string& Connection::name() const { return state_->name; }
natsConnection* Connection::native() const { return state_->nc.get(); }
jsCtx* Connection::jetstream() const { return state_->js.get(); }

}  // namespace aether::bus
