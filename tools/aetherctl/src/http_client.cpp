#include "http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace aether::ctl {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct Transfer {
  CURL* curl = nullptr;
  HttpResponse* response = nullptr;
  const HttpClient::ChunkHandler* on_chunk = nullptr;
  bool stopped_by_handler = false;
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();  // a new response (after a 100 Continue or redirect)
    return size * count;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  t->response->headers[lower(line.substr(0, colon))] = std::string(value);
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view chunk(data, size * count);
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->on_chunk != nullptr && status >= 200 && status < 300) {
    if (!(*t->on_chunk)(chunk)) {
      t->stopped_by_handler = true;
      return 0;  // aborts the transfer
    }
    return chunk.size();
  }
  t->response->body.append(chunk);
  return chunk.size();
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpClient::Impl {
  CURL* curl = nullptr;
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {
  static CurlGlobal global;
  impl_->curl = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (impl_->curl != nullptr) curl_easy_cleanup(impl_->curl);
}

std::string HttpClient::escape(std::string_view value) {
  char* out = curl_easy_escape(impl_->curl, value.data(), static_cast<int>(value.size()));
  std::string result = out != nullptr ? out : "";
  curl_free(out);
  return result;
}

Result<HttpResponse> HttpClient::perform(const HttpRequest& request) {
  return stream(request, nullptr);
}

Result<HttpResponse> HttpClient::stream(const HttpRequest& request, const ChunkHandler& on_chunk) {
  CURL* curl = impl_->curl;
  if (curl == nullptr) return fail(kExitError, "libcurl could not be initialised");
  curl_easy_reset(curl);
  HttpResponse response;
  Transfer transfer{curl, &response, on_chunk ? &on_chunk : nullptr, false};

  Slist headers;
  for (const auto& [name, value] : request.headers) {
    std::string line = name + ": " + value;
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // No "Expect: 100-continue" round trip for uploads.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (request.has_body || !request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (request.idle_end.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.idle_end.count()));
  }
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "aetherctl/" AETHER_VERSION);

  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_WRITE_ERROR && transfer.stopped_by_handler) rc = CURLE_OK;
  if (rc == CURLE_OPERATION_TIMEDOUT && request.idle_end.count() > 0) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 0) rc = CURLE_OK;  // the stream went quiet: the answer is complete
  }
  if (rc != CURLE_OK) {
    return fail(kExitUnavailable,
                request.method + " " + request.url + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace aether::ctl
