// One span as the sink received it, and the sink's error type.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include <nlohmann/json.hpp>

namespace aether::otlp_sink {

enum class Errc { kBadRequest = 1, kBindFailed };
struct Error {
  Errc code;
  std::string message;
};
template <class T>
using Result = std::expected<T, Error>;

// One decoded span; ids are lowercase hex, parent_span_id empty for a root.
struct ReceivedSpan {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;
  std::string name;
  std::string kind;     // internal, server, client, producer, consumer, unspecified
  std::string service;  // the resource's service.name
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  nlohmann::json attributes = nlohmann::json::object();
  std::string status_code;  // unset, ok, error
  std::string status_message;
  // The resource's other attributes (all but service.name).
  nlohmann::json resource = nlohmann::json::object();

  // {"trace_id","span_id","parent_span_id","name","kind","service",
  //  "start_unix_nano","end_unix_nano","attributes":{...},"status":{"code","message"},
  //  "resource":{...}}
  [[nodiscard]] nlohmann::json to_json() const;
};

}  // namespace aether::otlp_sink
