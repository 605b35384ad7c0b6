#include "kube_client.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>

#include <fstream>
#include <memory>
#include <sstream>

namespace aether::provisioner {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// The API server's Status.message, else the body's start.
std::string api_message(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_discarded() && json.is_object() && json.contains("message") &&
      json["message"].is_string()) {
    return json["message"].get<std::string>();
  }
  return body.substr(0, 200);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string escape_path_segment(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

KubeClient::KubeClient(KubeCredentials credentials, KubeClientOptions options)
    : credentials_(std::move(credentials)), options_(options) {}

Result<nlohmann::json> KubeClient::get_node(const std::string& name) {
  return call("GET", "/api/v1/nodes/" + escape_path_segment(name), "");
}

Result<nlohmann::json> KubeClient::merge_patch_node(const std::string& name,
                                                    const nlohmann::json& patch) {
  return call("PATCH", "/api/v1/nodes/" + escape_path_segment(name), patch.dump());
}

Result<nlohmann::json> KubeClient::call(const std::string& method, const std::string& path,
                                        const std::string& body) {
  const auto& c = credentials_;
  std::string token = c.token;
  if (token.empty() && !c.token_file.empty()) {
    std::ifstream in(c.token_file);
    std::stringstream s;
    s << in.rdbuf();
    token = trim(s.str());
    if (!in || token.empty()) {
      return fail(Errc::kKubeAuth, "cannot read the API token from " + c.token_file);
    }
  }
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return fail(Errc::kKubeUnreachable, "curl_easy_init failed");
  const std::string url = c.server + path;
  std::string response;
  char errbuf[CURL_ERROR_SIZE] = {};
  struct curl_slist* raw_headers = nullptr;
  raw_headers = curl_slist_append(raw_headers, "Accept: application/json");
  if (!token.empty()) {
    raw_headers = curl_slist_append(raw_headers, ("Authorization: Bearer " + token).c_str());
  }
  if (method == "PATCH") {
    raw_headers = curl_slist_append(raw_headers, "Content-Type: application/merge-patch+json");
  }
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(raw_headers, curl_slist_free_all);
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, "aether-node-provisioner");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_blob ca_blob{};
  if (!c.ca_pem.empty()) {
    ca_blob = {const_cast<char*>(c.ca_pem.data()), c.ca_pem.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca_blob);
  } else if (!c.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, c.ca_file.c_str());
  }
  curl_blob cert_blob{}, key_blob{};
  if (!c.client_cert_pem.empty()) {
    cert_blob = {const_cast<char*>(c.client_cert_pem.data()), c.client_cert_pem.size(),
                 CURL_BLOB_NOCOPY};
    key_blob = {const_cast<char*>(c.client_key_pem.data()), c.client_key_pem.size(),
                CURL_BLOB_NOCOPY};
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert_blob);
    curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key_blob);
  }
  if (c.insecure_skip_tls_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    return fail(Errc::kKubeUnreachable,
                "Kubernetes API " + c.server + " (" + c.source +
                    ") unreachable: " + (errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  const std::string what = method + " " + path + ": " + std::to_string(status) + " ";
  if (status == 401 || status == 403) {
    return fail(
        Errc::kKubeForbidden,
        what + api_message(response) + " (the service account needs RBAC get and patch on nodes)");
  }
  if (status == 409) return fail(Errc::kKubeConflict, what + api_message(response));
  if (status < 200 || status >= 300) return fail(Errc::kKubeError, what + api_message(response));
  auto json = nlohmann::json::parse(response, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return fail(Errc::kKubeError, what + "the answer is not a JSON object");
  }
  return json;
}

}  // namespace aether::provisioner
