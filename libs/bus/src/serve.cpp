#include "aether/bus/serve.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <exception>
#include <string>

#include "aether/v1/common.pb.h"
#include "connection_state.hpp"
#include "status.hpp"

namespace aether::bus {

struct Subscription::State {
  std::shared_ptr<Connection::State> conn;  // keeps the connection open
  SubPtr sub;
  std::string subject;
  ServeOptions options;
  RawHandler handler;

  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool done = false;                  // guarded by done_mutex
  std::shared_ptr<State> keep_alive;  // set when stopped from its own handler

  void dispatch(MsgPtr msg);
  void dispatch_plain(MsgPtr msg);
};

namespace {

thread_local const Subscription::State* tl_dispatching = nullptr;

void send_reply(Subscription::State& st, const char* reply_to, std::string_view data,
                const Headers& headers) {
  auto reply = detail::make_msg(reply_to, nullptr, data, headers);
  if (!reply) {
    spdlog::error("serving {}: building reply: {}", st.subject, reply.error().message);
    return;
  }
  if (natsStatus s = natsConnection_PublishMsg(st.conn->nc.get(), reply->get()); s != NATS_OK) {
    spdlog::warn("serving {}: reply not sent: {}", st.subject, natsStatus_GetText(s));
  }
}

void on_message(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) noexcept {
  MsgPtr msg(raw);
  auto* st = static_cast<Subscription::State*>(closure);
  tl_dispatching = st;
  try {
    st->dispatch(std::move(msg));
  } catch (const std::exception& e) {
    spdlog::error("serving {}: {}", st->subject, e.what());
  } catch (...) {
    spdlog::error("serving {}: unknown exception", st->subject);
  }
  tl_dispatching = nullptr;
}

void on_complete(void* closure) noexcept {
  auto* st = static_cast<Subscription::State*>(closure);
  std::shared_ptr<Subscription::State> keep;
  {
    std::lock_guard lock(st->done_mutex);
    keep = std::move(st->keep_alive);
    st->done = true;
  }
  st->done_cv.notify_all();
  // `keep` may free the state here, after the last callback.
}

}  // namespace

void EndpointStats::record(std::chrono::nanoseconds elapsed, const Error* error) {
  std::lock_guard lock(mutex_);
  ++data_.num_requests;
  data_.processing_time += elapsed;
  if (error != nullptr) {
    ++data_.num_errors;
    data_.last_error = std::to_string(service_code_for(*error)) + ":" + error->message;
  }
}

EndpointStats::Snapshot EndpointStats::snapshot() const {
  std::lock_guard lock(mutex_);
  return data_;
}

void Subscription::State::dispatch(MsgPtr msg) {
  if (options.plain) {
    dispatch_plain(std::move(msg));
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  RequestContext ctx;
  ctx.subject = natsMsg_GetSubject(msg.get());
  ctx.headers = read_headers(msg.get());
  ctx.tenant = ctx.headers.get(kTenantHeader).value_or("");
  ctx.caller = trace::extract([&](std::string_view n) { return ctx.headers.get(n); });
  const char* reply_to = natsMsg_GetReply(msg.get());
  const bool wants_reply = reply_to != nullptr && *reply_to != '\0';

  trace::Span span((options.service.empty() ? conn->name : options.service) + " " +
                       (options.operation.empty() ? subject : options.operation),
                   trace::SpanKind::kServer, ctx.caller);
  span.set_attribute("messaging.system", std::string("nats"));
  span.set_attribute("messaging.destination.name", ctx.subject);
  ctx.span = span.context();
  auto scope = span.activate();

  auto type = parse_content_type(ctx.headers.get(kContentTypeHeader));
  ctx.content_type = type.value_or(ContentType::kProtobuf);
  Result<std::string> result;
  if (!type) {
    result = std::unexpected(type.error());
  } else {
    const char* data = natsMsg_GetData(msg.get());
    std::string_view payload(data != nullptr ? data : "",
                             static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())));
    try {
      result = handler(payload, ctx);
    } catch (const std::exception& e) {
      result = fail(Errc::kInternal, std::string("handler threw: ") + e.what());
    } catch (...) {
      result = fail(Errc::kInternal, "handler threw a non-standard exception");
    }
  }

  Headers headers;
  headers.set(kContentTypeHeader, mime(ctx.content_type));
  if (result) {
    span.set_status(trace::StatusCode::kOk);
    if (wants_reply) send_reply(*this, reply_to, *result, headers);
  } else {
    const Error& err = result.error();
    const int code = service_code_for(err);
    span.set_error(err.message);
    span.set_attribute("rpc.nats.service_error_code", std::int64_t{code});
    if (wants_reply) {
      headers.set(kServiceErrorHeader, err.message);
      headers.set(kServiceErrorCodeHeader, std::to_string(code));
      aether::v1::ErrorReply body;
      body.set_code(code);
      body.set_message(err.message);
      send_reply(*this, reply_to, encode(body, ctx.content_type).value_or(""), headers);
    }
  }
  if (options.stats) {
    options.stats->record(std::chrono::steady_clock::now() - started,
                          result ? nullptr : &result.error());
  }
}

void Subscription::State::dispatch_plain(MsgPtr msg) {
  RequestContext ctx;
  ctx.subject = natsMsg_GetSubject(msg.get());
  const char* data = natsMsg_GetData(msg.get());
  std::string_view payload(data != nullptr ? data : "",
                           static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())));
  auto result = handler(payload, ctx);
  const char* reply_to = natsMsg_GetReply(msg.get());
  if (reply_to == nullptr || *reply_to == '\0') return;
  if (!result) {
    spdlog::warn("serving {}: {}", subject, result.error().message);
    return;
  }
  send_reply(*this, reply_to, *result, Headers{});
}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

Subscription::~Subscription() { stop(); }

void Subscription::stop() {
  if (!state_) return;
  auto st = std::move(state_);
  const bool from_own_handler = tl_dispatching == st.get();
  if (from_own_handler) {
    std::lock_guard lock(st->done_mutex);
    st->keep_alive = st;  // freed by on_complete, after this handler returns
  }
  bool wait = natsSubscription_SetOnCompleteCB(st->sub.get(), on_complete, st.get()) == NATS_OK;
  if (natsSubscription_Unsubscribe(st->sub.get()) != NATS_OK) wait = false;
  if (from_own_handler) {
    if (!wait) {
      std::lock_guard lock(st->done_mutex);
      st->keep_alive.reset();  // no callback will come; `st` still holds it
    }
    return;
  }
  if (wait) {
    std::unique_lock lock(st->done_mutex);
    if (!st->done_cv.wait_for(lock, std::chrono::seconds(30), [&] { return st->done; })) {
      spdlog::error("unsubscribing {}: handler still running after 30 s", st->subject);
    }
  }
}

Result<Subscription> serve_raw(Connection& connection, std::string subject, ServeOptions options,
                               RawHandler handler) {
  if (subject.empty()) return fail(Errc::kInvalidArgument, "serve: subject must not be empty");
  if (!handler) return fail(Errc::kInvalidArgument, "serve " + subject + ": handler is empty");
  auto st = std::make_shared<Subscription::State>();
  st->conn = connection.state();
  st->subject = subject;
  st->options = std::move(options);
  st->handler = std::move(handler);
  natsSubscription* raw = nullptr;
  natsStatus s =
      st->options.queue_group.empty()
          ? natsConnection_Subscribe(&raw, connection.native(), subject.c_str(), on_message,
                                     st.get())
          : natsConnection_QueueSubscribe(&raw, connection.native(), subject.c_str(),
                                          st->options.queue_group.c_str(), on_message, st.get());
  if (s != NATS_OK) return detail::fail_status(s, "subscribing to " + subject);
  st->sub.reset(raw);
  return Subscription(std::move(st));
}

}  // namespace aether::bus
