// The REST api (services/api, its OpenAPI document at /v1/openapi.json) as
// aetherctl uses it: JSON in and out, Bearer key, problem+json errors turned
// into a CtlError whose message is the problem's detail (and its per-field
// errors), never raw JSON. Single-threaded, like the HttpClient it owns.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ctl_error.hpp"
#include "http_client.hpp"

namespace aether::ctl {

using Json = nlohmann::json;
using Query = std::vector<std::pair<std::string, std::string>>;

struct ApiOptions {
  std::string base_url = "http://127.0.0.1:8080";
  std::string api_key;
  std::chrono::milliseconds timeout{30'000};
  std::string traceparent;  // sent when set, so a call can join a caller's trace
};

// Reads an RFC 9457 problem (or any error body) into one readable line:
// "detail (field: message; field: message)", falling back to the title or
// the status line.
[[nodiscard]] std::string problem_message(long status, const std::string& content_type,
                                          const std::string& body);

class ApiClient {
 public:
  explicit ApiClient(ApiOptions options);

  // A JSON call. `body` nullopt sends no body. Non-2xx -> CtlError.
  [[nodiscard]] Result<Json> call(const std::string& method, const std::string& path,
                                  const std::optional<Json>& body = std::nullopt,
                                  const Query& query = {});
  // The raw answer of a 2xx (e.g. a file), or a CtlError.
  [[nodiscard]] Result<HttpResponse> raw(
      const std::string& method, const std::string& path, const Query& query, std::string body,
      const std::string& content_type,
      const std::vector<std::pair<std::string, std::string>>& extra_headers = {});
  // Streams a 2xx body line by line (ndjson, Server-Sent Events); on_line
  // returns false to stop. `timeout` 0: no limit.
  using LineHandler = std::function<bool(std::string_view line)>;
  [[nodiscard]] Result<HttpResponse> lines(
      const std::string& method, const std::string& path, const std::optional<Json>& body,
      const Query& query, const std::vector<std::pair<std::string, std::string>>& extra_headers,
      std::chrono::milliseconds timeout, const LineHandler& on_line,
      std::chrono::seconds idle_end = std::chrono::seconds(0));

  [[nodiscard]] const ApiOptions& options() const { return options_; }
  [[nodiscard]] std::string escape(std::string_view value) { return http_.escape(value); }

 private:
  [[nodiscard]] HttpRequest make(const std::string& method, const std::string& path,
                                 const Query& query);

  ApiOptions options_;
  HttpClient http_;
};

}  // namespace aether::ctl
