// Request and Response: what a route handler receives and returns.
//
// A Request is filled by the Server (method, path, query, headers, body, path
// parameters from the Router, the request id and the server span's context)
// and handed to one handler on one handler thread; the handler owns it for the
// call. A Response is a status, headers and either a body or a stream
// callback: streaming responses (ndjson, Server-Sent Events) are sent with
// chunked transfer encoding, each StreamWriter::write() one chunk on the wire.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aether/trace/trace.hpp"

namespace aether::rest {

// Header list with case-insensitive lookup (HTTP field names ignore case).
class HeaderList {
 public:
  void add(std::string name, std::string value);
  void set(std::string_view name, std::string value);
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& items() const {
    return items_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target's path, percent-decoding not applied
  std::string route;   // the matched pattern, e.g. "/v1/vms/{id}"
  std::map<std::string, std::string, std::less<>> params;  // path parameters
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  HeaderList headers;
  std::string body;
  std::string request_id;                       // accepted X-Request-Id or a generated one
  std::string remote_address;                   // peer IP as seen on the socket
  trace::SpanContext span;                      // the server span (also the thread's current span)
  const std::atomic<bool>* stopping = nullptr;  // set while the server drains

  [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
    return headers.get(name);
  }
  // First value of a query parameter.
  [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
  // Every value of a repeated query parameter (e.g. label=a=b&label=c=d).
  [[nodiscard]] std::vector<std::string> query_params(std::string_view name) const;
  // A path parameter; empty when the route has none of that name.
  [[nodiscard]] std::string param(std::string_view name) const;
  [[nodiscard]] bool server_stopping() const { return stopping != nullptr && stopping->load(); }
};

// Sends one chunk per write(); false once the client is gone (stop then).
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  [[nodiscard]] virtual bool write(std::string_view chunk) = 0;
  // True when the server is draining: long streams (SSE) should end.
  [[nodiscard]] virtual bool stopping() const = 0;
};

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;
  // When set, headers go out with Transfer-Encoding: chunked and the callback
  // produces the body on the handler thread; `body` is ignored.
  std::function<void(StreamWriter&)> stream;

  [[nodiscard]] static Response json(int status, const nlohmann::json& value);
  [[nodiscard]] static Response text(int status, std::string body,
                                     std::string content_type = "text/plain; charset=utf-8");
  [[nodiscard]] static Response empty(int status);
  [[nodiscard]] static Response streaming(int status, std::string content_type,
                                          std::function<void(StreamWriter&)> produce);
  Response& with_header(std::string name, std::string value) & {
    headers.set(name, std::move(value));
    return *this;
  }
  Response&& with_header(std::string name, std::string value) && {
    headers.set(name, std::move(value));
    return std::move(*this);
  }
};

}  // namespace aether::rest
