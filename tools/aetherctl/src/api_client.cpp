#include "api_client.hpp"

namespace aether::ctl {

std::string problem_message(long status, const std::string& content_type, const std::string& body) {
  std::string fallback = "HTTP " + std::to_string(status);
  if (content_type.find("json") == std::string::npos) {
    if (body.empty()) return fallback;
    return fallback + ": " + body.substr(0, 200);
  }
  Json problem = Json::parse(body, nullptr, false);
  if (!problem.is_object()) return fallback;
  std::string text;
  if (problem.contains("detail") && problem["detail"].is_string()) {
    text = problem["detail"].get<std::string>();
  } else if (problem.contains("title") && problem["title"].is_string()) {
    text = problem["title"].get<std::string>();
  } else {
    text = fallback;
  }
  if (problem.contains("errors") && problem["errors"].is_array() && !problem["errors"].empty()) {
    std::string fields;
    for (const auto& e : problem["errors"]) {
      if (!e.is_object()) continue;
      if (!fields.empty()) fields += "; ";
      fields += e.value("field", std::string("?")) + ": " + e.value("message", std::string());
    }
    if (!fields.empty()) text += " (" + fields + ")";
  }
  return text;
}

ApiClient::ApiClient(ApiOptions options) : options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') {
    options_.base_url.pop_back();
  }
}

HttpRequest ApiClient::make(const std::string& method, const std::string& path,
                            const Query& query) {
  HttpRequest request;
  request.method = method;
  request.url = options_.base_url + path;
  char sep = '?';
  for (const auto& [name, value] : query) {
    request.url += sep + http_.escape(name) + "=" + http_.escape(value);
    sep = '&';
  }
  request.timeout = options_.timeout;
  if (!options_.api_key.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + options_.api_key);
  }
  if (!options_.traceparent.empty())
    request.headers.emplace_back("traceparent", options_.traceparent);
  return request;
}

namespace {

Result<HttpResponse> check(Result<HttpResponse> response) {
  if (!response) return response;
  if (response->status >= 200 && response->status < 300) return response;
  std::string message =
      problem_message(response->status, response->header("content-type"), response->body);
  if (auto retry = response->header("retry-after"); !retry.empty()) {
    message += " (retry after " + retry + " s)";
  }
  return fail(exit_code_for_status(response->status), message);
}

}  // namespace

Result<Json> ApiClient::call(const std::string& method, const std::string& path,
                             const std::optional<Json>& body, const Query& query) {
  HttpRequest request = make(method, path, query);
  request.headers.emplace_back("Accept", "application/json");
  if (body) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body->dump();
    request.has_body = true;
  }
  auto response = check(http_.perform(request));
  if (!response) return std::unexpected(response.error());
  if (response->body.empty()) return Json::object();
  Json parsed = Json::parse(response->body, nullptr, false);
  if (parsed.is_discarded()) {
    return fail(kExitServer,
                method + " " + path + ": the api answered with a body that is not JSON");
  }
  return parsed;
}

Result<HttpResponse> ApiClient::raw(
    const std::string& method, const std::string& path, const Query& query, std::string body,
    const std::string& content_type,
    const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  HttpRequest request = make(method, path, query);
  for (const auto& h : extra_headers) request.headers.push_back(h);
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  request.body = std::move(body);
  request.has_body = method == "PUT" || method == "POST";
  return check(http_.perform(request));
}

Result<HttpResponse> ApiClient::lines(
    const std::string& method, const std::string& path, const std::optional<Json>& body,
    const Query& query, const std::vector<std::pair<std::string, std::string>>& extra_headers,
    std::chrono::milliseconds timeout, const LineHandler& on_line, std::chrono::seconds idle_end) {
  HttpRequest request = make(method, path, query);
  request.timeout = timeout;
  request.idle_end = idle_end;
  for (const auto& h : extra_headers) request.headers.push_back(h);
  if (body) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body->dump();
    request.has_body = true;
  }
  std::string pending;
  bool keep_going = true;
  auto response = check(http_.stream(request, [&](std::string_view chunk) {
    pending.append(chunk);
    std::size_t start = 0;
    for (std::size_t nl; keep_going && (nl = pending.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      std::string_view line(pending.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      keep_going = on_line(line);
    }
    pending.erase(0, start);
    return keep_going;
  }));
  if (response && keep_going && !pending.empty()) on_line(pending);
  return response;
}

}  // namespace aether::ctl
