#include "aether/bus/headers.hpp"

#include <aether/trace/trace.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string>

#include "status.hpp"

namespace aether::bus {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

}  // namespace

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [key, value] : items_) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

void Headers::set(std::string_view name, std::string_view value) {
  erase(name);
  items_.emplace_back(std::string(name), std::string(value));
}

void Headers::add(std::string_view name, std::string_view value) {
  items_.emplace_back(std::string(name), std::string(value));
}

void Headers::erase(std::string_view name) {
  std::erase_if(items_, [&](const auto& item) { return iequals(item.first, name); });
}

Headers read_headers(natsMsg* msg) {
  Headers out;
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &count) != NATS_OK) return out;  // no headers
  for (int i = 0; i < count; ++i) {
    const char** values = nullptr;
    int n = 0;
    if (natsMsgHeader_Values(msg, keys[i], &values, &n) == NATS_OK) {
      for (int j = 0; j < n; ++j) out.add(keys[i], values[j]);
      std::free(static_cast<void*>(values));
    }
  }
  std::free(static_cast<void*>(keys));
  return out;
}

Result<void> write_headers(natsMsg* msg, const Headers& headers) {
  for (const auto& [key, value] : headers.items()) {
    if (natsStatus s = natsMsgHeader_Add(msg, key.c_str(), value.c_str()); s != NATS_OK) {
      return detail::fail_status(s, "setting header " + key);
    }
  }
  return {};
}

void inject_current_trace(Headers& headers) {
  if (auto ctx = trace::current_context(); ctx && ctx->valid()) {
    trace::inject(*ctx, [&](std::string_view k, std::string_view v) { headers.set(k, v); });
  }
}

std::optional<int> parse_service_code(std::string_view value) {
  int code = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), code);
  if (ec != std::errc{} || end != value.data() + value.size() || code < 100 || code > 999) {
    return std::nullopt;
  }
  return code;
}

std::optional<Error> error_from_reply_headers(const Headers& headers) {
  auto code_text = headers.get(kServiceErrorCodeHeader);
  auto message = headers.get(kServiceErrorHeader);
  if (!code_text && !message) return std::nullopt;
  int code = 500;  // a responder that sent only the text still failed
  if (code_text) {
    if (auto parsed = parse_service_code(*code_text)) code = *parsed;
  }
  return Error{Errc::kServiceError, message.value_or("service error without message"), code};
}

}  // namespace aether::bus
