// A connection to NATS (with JetStream), the only way Aether code talks to
// the bus.
//
// Lifecycle: Connection::connect() returns a connected handle; copies share
// one underlying cnats connection, which closes when the last copy, and every
// Subscription/PullConsumer/KvBucket made from it, is gone. cnats reconnects
// on its own (per ConnectOptions); disconnects, reconnects, closes and async
// errors are logged with spdlog from cnats' connection-event thread.
//
// Threads: every method is safe to call from any thread, including from
// inside a subscription handler (cnats serializes writes internally).
#pragma once

#include <google/protobuf/message.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aether/bus/codec.hpp"
#include "aether/bus/errors.hpp"
#include "aether/bus/handles.hpp"
#include "aether/bus/headers.hpp"

namespace aether::bus {

struct ConnectOptions {
  std::string url = "nats://127.0.0.1:4222";  // comma-separated list allowed
  std::string name;  // connection name shown by the server; also the span service name
  int max_reconnect_attempts = -1;  // -1: retry forever
  std::chrono::milliseconds reconnect_wait{500};
  std::chrono::milliseconds reconnect_jitter{250};
  std::chrono::milliseconds connect_timeout{2000};
  // Keep retrying the first connect in the background instead of failing
  // when no server is up yet (cnats RetryOnFailedConnect).
  bool retry_on_failed_connect = false;
  std::chrono::milliseconds jetstream_timeout{5000};  // JetStream API calls
  // Write each message to the socket at once instead of letting cnats'
  // flusher thread batch writes (which adds about 1 ms to every request-reply
  // hop). On by default: Aether's traffic is request-reply and commands whose
  // callers wait; a bulk publisher may turn it off.
  bool send_asap = true;
};

// Options every outgoing message shares.
struct PublishOptions {
  ContentType content_type = ContentType::kProtobuf;
  std::string tenant;  // Aether-Tenant when not empty
  Headers headers;     // extra headers
};

struct JsPublishOptions {
  ContentType content_type = ContentType::kProtobuf;
  std::string tenant;
  std::string msg_id;  // Nats-Msg-Id: JetStream drops a repeat inside the window
  Headers headers;
  std::chrono::milliseconds timeout{5000};  // wait for the PubAck
  std::string span_name;                    // default "<name> publish <subject>"
};

struct PubAck {
  std::string stream;
  std::uint64_t sequence = 0;
  bool duplicate = false;  // the server already had this Nats-Msg-Id
};

struct RequestOptions {
  std::chrono::milliseconds timeout{5000};
  ContentType content_type = ContentType::kProtobuf;
  std::string tenant;
  Headers headers;
  std::string span_name;  // default "<name> request <subject>"
};

// A reply as received: payload and headers, already checked for an error
// reply (those come back as Errc::kServiceError).
struct RawReply {
  std::string data;
  Headers headers;
};

class Connection {
 public:
  [[nodiscard]] static Result<Connection> connect(const ConnectOptions& options);

  // Core publish of raw bytes (trace context of the current span injected).
  [[nodiscard]] Result<void> publish_raw(std::string_view subject, std::string_view data,
                                         Headers headers = {});
  [[nodiscard]] Result<void> publish(std::string_view subject,
                                     const google::protobuf::Message& message,
                                     const PublishOptions& options = {});

  // JetStream publish: waits for the stream's PubAck.
  [[nodiscard]] Result<PubAck> js_publish(std::string_view subject,
                                          const google::protobuf::Message& message,
                                          const JsPublishOptions& options = {});

  // Request-reply with a deadline. Errors: kNoResponders (nobody subscribed),
  // kTimeout, kServiceError (error reply: service_code + message), kDecode.
  [[nodiscard]] Result<RawReply> request_raw(std::string_view subject, std::string_view data,
                                             Headers headers, std::chrono::milliseconds timeout);
  [[nodiscard]] Result<void> request(std::string_view subject,
                                     const google::protobuf::Message& request,
                                     google::protobuf::Message& reply,
                                     const RequestOptions& options = {});
  template <class Reply>
  [[nodiscard]] Result<Reply> request(std::string_view subject,
                                      const google::protobuf::Message& req,
                                      const RequestOptions& options = {}) {
    Reply reply;
    if (auto r = request(subject, req, reply, options); !r) {
      return std::unexpected(std::move(r.error()));
    }
    return reply;
  }

  // Waits until the server has processed everything sent so far.
  [[nodiscard]] Result<void> flush(std::chrono::milliseconds timeout);
  [[nodiscard]] bool connected() const;
  [[nodiscard]] const std::string& name() const;

  // For the library's own parts (serve, pull, kv, micro) and benchmarks.
  [[nodiscard]] natsConnection* native() const;
  [[nodiscard]] jsCtx* jetstream() const;

  struct State;  // shared by copies and by everything made from this

  [[nodiscard]] const std::shared_ptr<State>& state() const { return state_; }

 private:
  explicit Connection(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace aether::bus
