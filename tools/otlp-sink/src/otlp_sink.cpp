// The HTTP side of OtlpSink (cpp-httplib server on its own thread).
#include <httplib.h>

#include "aether/otlp_sink/jaeger_api.hpp"
#include "aether/otlp_sink/otlp_sink.hpp"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace aether::otlp_sink {

struct OtlpSink::Server {
  httplib::Server http;
};

OtlpSink::OtlpSink(SinkOptions options)
    : options_(std::move(options)), store_(options_.max_spans) {}

namespace {

void answer(httplib::Response& res, const JaegerReply& reply) {
  res.status = reply.status;
  res.set_content(reply.body.dump(), "application/json");
}

// Jaeger's query API on the same port (see jaeger_api.hpp).
void add_query_routes(httplib::Server& http, const SpanStore& store) {
  auto api = std::make_shared<JaegerApi>(store);
  http.Get(R"(/api/traces/([^/]+))", [api](const httplib::Request& req, httplib::Response& res) {
    answer(res, api->get_trace(req.matches[1].str()));
  });
  http.Get("/api/traces", [api](const httplib::Request& req, httplib::Response& res) {
    answer(res, api->find_traces(req.params));
  });
  http.Get("/api/services", [api](const httplib::Request&, httplib::Response& res) {
    answer(res, api->services());
  });
  http.Get(R"(/api/services/([^/]+)/operations)",
           [api](const httplib::Request& req, httplib::Response& res) {
             answer(res, api->operations(httplib::detail::decode_url(req.matches[1].str(), false)));
           });
}

}  // namespace

OtlpSink::~OtlpSink() { stop(); }

std::string OtlpSink::endpoint() const {
  return "http://" + options_.host + ":" + std::to_string(port_);
}

Result<int> OtlpSink::start() {
  if (server_) return port_;
  auto server = std::make_unique<Server>();
  // stop() waits for idle keep-alive connections to time out; keep that short.
  server->http.set_keep_alive_timeout(1);
  server->http.Post("/v1/traces", [this](const httplib::Request& req, httplib::Response& res) {
    int status = 200;
    bool refused = false;
    std::string content_type = req.get_header_value("Content-Type");
    std::string reply = handle(content_type, req.body, status, refused);
    res.status = status;
    if (refused && options_.retry_after_seconds) {
      res.set_header("Retry-After", std::to_string(*options_.retry_after_seconds));
    }
    const bool json = content_type.starts_with("application/json");
    res.set_content(reply, json ? "application/json" : "application/x-protobuf");
  });
  add_query_routes(server->http, store_);
  int port = 0;
  if (options_.port == 0) {
    port = server->http.bind_to_any_port(options_.host);
  } else if (server->http.bind_to_port(options_.host, options_.port)) {
    port = options_.port;
  }
  if (port <= 0) {
    return std::unexpected(Error{Errc::kBindFailed, "cannot listen on " + options_.host + ":" +
                                                        std::to_string(options_.port)});
  }
  port_ = port;
  server_ = std::move(server);
  thread_ = std::thread([this] { server_->http.listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs, so wait for it
  // (bounded); the socket already accepts connections into its backlog.
  for (int i = 0; i < 500 && !server_->http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return port_;
}

void OtlpSink::stop() {
  if (!server_) return;
  for (int i = 0; i < 500 && !server_->http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  server_->http.stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

std::string OtlpSink::handle(std::string_view content_type, std::string_view body, int& status,
                             bool& refused) {
  const bool json = content_type.starts_with("application/json");
  {
    std::lock_guard lock(mutex_);
    ++requests_;
    if (refused_ < static_cast<std::uint64_t>(std::max(0, options_.fail_first))) {
      ++refused_;
      refused = true;
      status = options_.fail_status;
      return json ? R"({"message":"refused by --fail-first"})" : std::string{};
    }
  }
  if (!json && !content_type.starts_with("application/x-protobuf")) {
    status = 415;
    return "Content-Type must be application/x-protobuf or application/json";
  }
  auto spans = json ? decode_json(body) : decode_protobuf(body);
  if (!spans) {
    status = 400;
    return spans.error().message;
  }
  store_.add(std::move(*spans), options_.on_span);
  status = 200;
  if (json) return "{}";
  return opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse{}
      .SerializeAsString();
}

std::vector<ReceivedSpan> OtlpSink::spans() const { return store_.spans(); }

bool OtlpSink::wait_for_spans(std::size_t n, std::chrono::milliseconds timeout) const {
  return store_.wait_for_spans(n, timeout);
}

std::uint64_t OtlpSink::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::uint64_t OtlpSink::refused_requests() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

}  // namespace aether::otlp_sink
