// HttpClient: one HTTPS request at a time over libcurl, verifying the server
// against a CA file, for the Kubernetes API. Every CURL handle and header
// list lives in an RAII wrapper.
//
// Threads: one owner thread (the controller's).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "errors.hpp"

namespace aether::autoscaler {

struct HttpResponse {
  long status = 0;
  std::string body;
};

struct HttpClientOptions {
  std::filesystem::path ca_file;  // empty: the system's CAs
  std::chrono::milliseconds timeout{10'000};
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options) : options_(std::move(options)) {}

  // headers: "Name: value" lines. Transport errors are kActuator naming the
  // method and URL; any HTTP status comes back as a response.
  [[nodiscard]] Result<HttpResponse> request(const std::string& method, const std::string& url,
                                             const std::vector<std::string>& headers,
                                             const std::string& body = {});

 private:
  HttpClientOptions options_;
};

// Percent-encodes a query parameter value.
[[nodiscard]] std::string url_encode(const std::string& value);

}  // namespace aether::autoscaler
