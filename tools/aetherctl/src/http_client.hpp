// A small blocking HTTP client on libcurl for aetherctl: one request at a
// time, a whole body or a stream of chunks. One HttpClient per thread (it
// keeps one curl easy handle so keep-alive connections are reused).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctl_error.hpp"

namespace aether::ctl {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool has_body = false;
  std::chrono::milliseconds timeout{30'000};  // whole request; 0: none (streams)
  // End the transfer (as a normal end) when no byte came for this long; 0: never.
  std::chrono::seconds idle_end{0};
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; last value wins
  std::string body;                            // empty when streamed

  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // The whole answer. Transport failures (refused, DNS, timeout) are
  // kExitUnavailable naming the URL; any HTTP status is a value.
  [[nodiscard]] Result<HttpResponse> perform(const HttpRequest& request);

  // Like perform(), but a 2xx body goes to on_chunk as it arrives (returning
  // false stops the transfer); other statuses are collected into body.
  using ChunkHandler = std::function<bool(std::string_view chunk)>;
  [[nodiscard]] Result<HttpResponse> stream(const HttpRequest& request,
                                            const ChunkHandler& on_chunk);

  // Percent-encodes a query or path value.
  [[nodiscard]] std::string escape(std::string_view value);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aether::ctl
