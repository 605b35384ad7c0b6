// NATS message headers as a small value type, plus the header names of the
// bus contract (DESIGN.md "Headers on every message").
#pragma once

#include <nats/nats.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aether/bus/errors.hpp"

namespace aether::bus {

inline constexpr std::string_view kTraceparent = "traceparent";
inline constexpr std::string_view kTracestate = "tracestate";
inline constexpr std::string_view kContentTypeHeader = "Content-Type";
inline constexpr std::string_view kTenantHeader = "Aether-Tenant";
inline constexpr std::string_view kMsgIdHeader = "Nats-Msg-Id";
inline constexpr std::string_view kServiceErrorHeader = "Nats-Service-Error";
inline constexpr std::string_view kServiceErrorCodeHeader = "Nats-Service-Error-Code";

// Ordered list of (name, value). Lookups ignore ASCII case because senders
// written against other clients do not agree on it (HTTP habits); set()
// replaces every value under that name.
class Headers {
 public:
  Headers() = default;
  Headers(std::initializer_list<std::pair<std::string, std::string>> init) : items_(init) {}

  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  void set(std::string_view name, std::string_view value);
  void add(std::string_view name, std::string_view value);
  void erase(std::string_view name);
  [[nodiscard]] bool empty() const { return items_.empty(); }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& items() const {
    return items_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Copies every header of a cnats message (none -> empty).
[[nodiscard]] Headers read_headers(natsMsg* msg);
// Writes every header onto a cnats message.
[[nodiscard]] Result<void> write_headers(natsMsg* msg, const Headers& headers);

// Adds traceparent/tracestate of the thread's current span (if any).
void inject_current_trace(Headers& headers);

// Parses the value of Nats-Service-Error-Code: a decimal 100..999.
[[nodiscard]] std::optional<int> parse_service_code(std::string_view value);

// The error a reply carries in its Nats-Service-Error(-Code) headers, if any.
[[nodiscard]] std::optional<Error> error_from_reply_headers(const Headers& headers);

}  // namespace aether::bus
