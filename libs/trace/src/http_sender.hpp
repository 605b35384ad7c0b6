// One libcurl easy handle POSTing OTLP protobuf to the traces endpoint.
//
// Owned and used by the exporter thread only (a curl easy handle must not be
// shared between threads); keeping it alive reuses the TCP connection.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "aether/trace/exporter.hpp"

typedef void CURL;
struct curl_slist;

namespace aether::trace::detail {

struct HttpResult {
  long status = 0;              // 0 when no HTTP response (connection refused, timeout)
  std::string transport_error;  // curl's message when status == 0
  bool transient = false;       // a transport failure worth retrying (refused, timeout, reset)
  std::optional<std::chrono::milliseconds> retry_after;
  std::string body;
};

class HttpSender {
 public:
  // Errc::kExportFailed if libcurl cannot make a handle.
  [[nodiscard]] static Result<std::unique_ptr<HttpSender>> create(const ExporterConfig& config);
  ~HttpSender();
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  [[nodiscard]] HttpResult post(const std::string& body, std::chrono::milliseconds timeout);

 private:
  HttpSender(CURL* curl, curl_slist* headers, std::string url);
  CURL* curl_;
  curl_slist* headers_;
  std::string url_;
};

}  // namespace aether::trace::detail
