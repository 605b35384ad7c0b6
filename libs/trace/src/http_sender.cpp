#include "http_sender.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <mutex>

namespace aether::trace::detail {
namespace {

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  // A collector's reply is tiny; cap it so a misbehaving server cannot make
  // us buffer without bound.
  std::size_t n = size * count;
  if (body->size() < 64 * 1024) body->append(data, std::min(n, 64 * 1024 - body->size()));
  return n;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' ||
                            value.back() == '\n')) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  long long seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc{} && end == value.data() + value.size()) {
    return std::chrono::milliseconds(std::max(0LL, seconds) * 1000);
  }
  // Otherwise an HTTP-date.
  time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when < 0) return std::nullopt;
  long long delta = static_cast<long long>(when) - static_cast<long long>(std::time(nullptr));
  return std::chrono::milliseconds(std::max(0LL, delta) * 1000);
}

std::size_t read_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* result = static_cast<HttpResult*>(user);
  std::string_view line(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (std::size_t i = 0; i < kName.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
    }
    if (match) result->retry_after = parse_retry_after(line.substr(kName.size()));
  }
  return size * count;
}

}  // namespace

Result<std::unique_ptr<HttpSender>> HttpSender::create(const ExporterConfig& config) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    return std::unexpected(Error{Errc::kExportFailed, "curl_easy_init failed"});
  }
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/x-protobuf");
  // Suppress curl's "Expect: 100-continue" round trip on larger bodies.
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& [key, value] : config.headers) {
    headers = curl_slist_append(headers, (key + ": " + value).c_str());
  }
  return std::unique_ptr<HttpSender>(new HttpSender(curl, headers, config.endpoint));
}

HttpSender::HttpSender(CURL* curl, curl_slist* headers, std::string url)
    : curl_(curl), headers_(headers), url_(std::move(url)) {}

HttpSender::~HttpSender() {
  curl_easy_cleanup(curl_);
  curl_slist_free_all(headers_);
}

HttpResult HttpSender::post(const std::string& body, std::chrono::milliseconds timeout) {
  HttpResult result;
  curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl_, CURLOPT_POST, 1L);
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<long long>(1, timeout.count())));
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<long long>(1, timeout.count())));
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);  // we run on our own thread
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &result);
  CURLcode code = curl_easy_perform(curl_);
  if (code != CURLE_OK) {
    result.transport_error = curl_easy_strerror(code);
    // A collector restarting or briefly unreachable; a malformed URL or a TLS
    // setup error will not get better by retrying.
    result.transient = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
                       code == CURLE_OPERATION_TIMEDOUT || code == CURLE_SEND_ERROR ||
                       code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING ||
                       code == CURLE_PARTIAL_FILE;
    return result;
  }
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

}  // namespace aether::trace::detail
