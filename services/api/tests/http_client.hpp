// A small libcurl client for the api's route tests: one call, its status,
// headers (lower-case names) and body.
#pragma once

#include <curl/curl.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aether::api::testing {

struct Reply {
  long status = 0;  // 0: no answer (connection refused, timeout)
  std::map<std::string, std::string> headers;
  std::string body;
  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline std::size_t append_body(char* p, std::size_t s, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}

inline std::size_t append_header(char* p, std::size_t s, std::size_t n, void* out) {
  std::string line(p, s * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n") + 1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return s * n;
}

class Client {
 public:
  explicit Client(int port) : base_("http://127.0.0.1:" + std::to_string(port)) {}

  Reply call(const std::string& method, const std::string& path, const std::string& key = {},
             const std::string& body = {}, std::vector<std::string> headers = {},
             long timeout_ms = 60000) const {
    Reply r;
    CURL* c = curl_easy_init();
    const std::string url = base_ + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (!body.empty() || method == "POST" || method == "PUT") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    if (!key.empty()) headers.push_back("Authorization: Bearer " + key);
    if (!body.empty() && method != "PUT") headers.push_back("Content-Type: application/json");
    headers.push_back("Expect:");
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, append_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    // A stream cut by the timeout (SSE) still reports its status and what came.
    (void)curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return r;
  }

 private:
  std::string base_;
};

}  // namespace aether::api::testing
