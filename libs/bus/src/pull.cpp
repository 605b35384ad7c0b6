#include "aether/bus/pull.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "connection_state.hpp"
#include "status.hpp"

namespace aether::bus {

struct PullConsumer::State {
  std::shared_ptr<Connection::State> conn;
  SubPtr sub;
  std::string stream;
  std::string durable;
  PullOptions options;
  std::int64_t max_deliver = -1;  // the consumer's, read at bind
};

JsMessage::JsMessage(std::shared_ptr<void> owner, MsgPtr msg, std::int64_t max_deliver)
    : owner_(std::move(owner)), msg_(std::move(msg)), max_deliver_(max_deliver) {
  subject_ = natsMsg_GetSubject(msg_.get());
  headers_ = read_headers(msg_.get());
  jsMsgMetaData* raw_meta = nullptr;
  if (natsMsg_GetMetaData(&raw_meta, msg_.get()) == NATS_OK) {
    MetaPtr meta(raw_meta);
    delivered_ = meta->NumDelivered;
    stream_seq_ = meta->Sequence.Stream;
  }
}

std::string_view JsMessage::data() const {
  const char* d = natsMsg_GetData(msg_.get());
  return {d != nullptr ? d : "", static_cast<std::size_t>(natsMsg_GetDataLength(msg_.get()))};
}

std::optional<trace::SpanContext> JsMessage::trace_parent() const {
  return trace::extract([&](std::string_view n) { return headers_.get(n); });
}

Result<void> JsMessage::decode(google::protobuf::Message& out) const {
  auto type = parse_content_type(headers_.get(kContentTypeHeader));
  if (!type) return std::unexpected(type.error());
  auto r = bus::decode(data(), *type, out);
  if (!r) r.error().message = subject_ + ": " + r.error().message;
  return r;
}

namespace {
Result<void> settle(natsStatus s, const char* what, const std::string& subject) {
  if (s != NATS_OK) return detail::fail_status(s, std::string(what) + " " + subject);
  return {};
}
}  // namespace

Result<void> JsMessage::ack() { return settle(natsMsg_Ack(msg_.get(), nullptr), "ack", subject_); }

Result<void> JsMessage::nak(std::chrono::milliseconds delay) {
  if (delay.count() < 0) return fail(Errc::kInvalidArgument, "nak delay must be >= 0");
  natsStatus s = delay.count() == 0 ? natsMsg_Nak(msg_.get(), nullptr)
                                    : natsMsg_NakWithDelay(msg_.get(), delay.count(), nullptr);
  return settle(s, "nak", subject_);
}

Result<void> JsMessage::term() {
  return settle(natsMsg_Term(msg_.get(), nullptr), "term", subject_);
}

Result<void> JsMessage::in_progress() {
  return settle(natsMsg_InProgress(msg_.get(), nullptr), "in-progress", subject_);
}

Result<PullConsumer> PullConsumer::bind(Connection& connection, std::string stream,
                                        std::string durable, PullOptions options) {
  if (stream.empty() || durable.empty()) {
    return fail(Errc::kInvalidArgument, "pull consumer: stream and durable must not be empty");
  }
  auto st = std::make_shared<State>();
  st->conn = connection.state();
  st->stream = std::move(stream);
  st->durable = std::move(durable);
  st->options = std::move(options);
  jsSubOptions sub_opts;
  jsSubOptions_Init(&sub_opts);
  sub_opts.Stream = st->stream.c_str();
  sub_opts.Consumer = st->durable.c_str();
  natsSubscription* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  // The subject is ignored when binding to an existing consumer.
  natsStatus s = js_PullSubscribe(&raw, connection.jetstream(), "", st->durable.c_str(), nullptr,
                                  &sub_opts, &code);
  if (s != NATS_OK) {
    return detail::fail_status(s, "binding to consumer " + st->stream + "/" + st->durable, code);
  }
  st->sub.reset(raw);
  // MaxDeliver, so a handler can tell the last delivery (JsMessage::final_delivery).
  jsConsumerInfo* raw_info = nullptr;
  if (natsStatus is = js_GetConsumerInfo(&raw_info, connection.jetstream(), st->stream.c_str(),
                                         st->durable.c_str(), nullptr, &code);
      is == NATS_OK) {
    ConsumerInfoPtr info(raw_info);
    if (info->Config != nullptr) st->max_deliver = info->Config->MaxDeliver;
  } else {
    spdlog::warn("consumer {}/{}: cannot read its MaxDeliver ({}); deliveries are never final",
                 st->stream, st->durable, natsStatus_GetText(is));
  }
  return PullConsumer(std::move(st));
}

Result<std::vector<JsMessage>> PullConsumer::fetch(int batch, std::chrono::milliseconds wait) {
  if (batch < 1) return fail(Errc::kInvalidArgument, "fetch batch must be >= 1");
  if (wait.count() < 1) return fail(Errc::kInvalidArgument, "fetch wait must be >= 1 ms");
  MsgList list;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&list.list, state_->sub.get(), batch, wait.count(), &code);
  std::vector<JsMessage> out;
  if (s == NATS_TIMEOUT) return out;
  if (s != NATS_OK) {
    return detail::fail_status(s, "fetching from " + state_->stream + "/" + state_->durable, code);
  }
  out.reserve(static_cast<std::size_t>(list.list.Count));
  for (int i = 0; i < list.list.Count; ++i) {
    MsgPtr msg(list.list.Msgs[i]);
    list.list.Msgs[i] = nullptr;  // now owned by `msg`
    out.emplace_back(state_, std::move(msg), state_->max_deliver);
  }
  return out;
}

trace::Span PullConsumer::start_span(const JsMessage& message) const {
  const auto& o = state_->options;
  trace::Span span((o.service.empty() ? state_->conn->name : o.service) + " " +
                       (o.operation.empty() ? state_->durable : o.operation),
                   trace::SpanKind::kConsumer, message.trace_parent());
  span.set_attribute("messaging.system", std::string("nats"));
  span.set_attribute("messaging.destination.name", message.subject());
  span.set_attribute("messaging.nats.delivery_count",
                     static_cast<std::int64_t>(message.delivery_count()));
  return span;
}

Result<void> PullConsumer::run(std::stop_token stop, const std::function<int()>& room,
                               const MessageHandler& handler, std::chrono::milliseconds wait) {
  // Sleeps in short slices so a stop request is honoured quickly.
  auto pause = [&](std::chrono::milliseconds total) {
    for (auto slept = std::chrono::milliseconds(0); slept < total && !stop.stop_requested();
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  const std::chrono::milliseconds kFirstBackoff(200), kMaxBackoff(5000);
  auto backoff = kFirstBackoff;
  while (!stop.stop_requested()) {
    const int n = room();
    if (n <= 0) {
      pause(std::chrono::milliseconds(50));
      continue;
    }
    auto batch = fetch(n, wait);
    if (!batch) {
      // Only a caller mistake ends the loop. Everything else (disconnects,
      // "Server Shutdown", JetStream not yet recovered after a restart, a
      // consumer being re-created) is retried with backoff, so a worker keeps
      // consuming across server restarts.
      if (batch.error().code == Errc::kInvalidArgument) return std::unexpected(batch.error());
      spdlog::warn("pull {}/{}: {} (retrying in {} ms)", state_->stream, state_->durable,
                   batch.error().message, backoff.count());
      pause(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = kFirstBackoff;
    for (auto& message : *batch) {
      auto span = start_span(message);
      auto scope = span.activate();
      try {
        handler(message);
      } catch (const std::exception& e) {
        span.set_error(e.what());
        spdlog::error("pull {}/{}: handler threw: {}", state_->stream, state_->durable, e.what());
      }
    }
  }
  return {};
}

}  // namespace aether::bus
