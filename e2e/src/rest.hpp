// The REST api as the scenarios see it: every answer (status, headers, body)
// as a value so a scenario can assert on 4xx/5xx too, on aetherctl's
// HttpClient (tools/aetherctl). One Rest per thread (the client keeps one
// curl handle); a transport failure is status 0 with the error as body.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "http_client.hpp"

namespace aether::e2e {

using Json = nlohmann::json;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Answer {
  long status = 0;                             // 0: no answer (the error is in body)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  [[nodiscard]] std::string header(const std::string& lower_name) const;
  // The body as JSON, or null when it is not JSON.
  [[nodiscard]] Json json() const;
  // "STATUS body" trimmed, for failure messages.
  [[nodiscard]] std::string describe() const;
};

class Rest {
 public:
  Rest(std::string base_url, std::string api_key);
  Rest();  // AETHER_API_URL with AETHER_API_KEY

  [[nodiscard]] Answer call(const std::string& method, const std::string& path,
                            std::optional<std::string> body = std::nullopt,
                            const std::string& content_type = "application/json",
                            const HeaderList& headers = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(60));
  [[nodiscard]] Answer get(const std::string& path, const HeaderList& headers = {});
  [[nodiscard]] Answer post(const std::string& path, const Json& body,
                            const HeaderList& headers = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // POST /v1/vms; the answer's id ("" when refused: see `last`).
  [[nodiscard]] std::string create_vm(const Json& spec, const HeaderList& headers = {});
  // Polls GET /v1/vms/{id} until its state is one of `states` or `limit`
  // passes; the last VM seen (null when none).
  [[nodiscard]] Json wait_state(const std::string& id, const std::set<std::string>& states,
                                std::chrono::seconds limit);
  // POST /v1/vms/{id}/exec {"argv": argv}.
  [[nodiscard]] Answer exec(const std::string& id, const std::vector<std::string>& argv,
                            const HeaderList& headers = {});

  [[nodiscard]] const Answer& last() const { return last_; }
  [[nodiscard]] const std::string& base_url() const { return base_; }

 private:
  std::string base_;
  std::string key_;
  ctl::HttpClient http_;
  Answer last_;
};

// A VM spec for the suite: the smallest VM, a short TTL (so a failed run
// leaves nothing for long) and a label naming the scenario.
[[nodiscard]] Json small_vm(const std::string& scenario);

// A random W3C traceparent ("00-<32 hex>-<16 hex>-01") and its trace id.
struct TraceParent {
  std::string header;
  std::string trace_id;
  std::string span_id;
};
[[nodiscard]] TraceParent new_traceparent();
// A random UUIDv7 (sortable; what the api would assign).
[[nodiscard]] std::string new_uuid_v7();

}  // namespace aether::e2e
