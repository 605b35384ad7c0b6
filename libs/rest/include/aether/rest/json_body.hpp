// Strict JSON request bodies.
//
// parse_json_body() refuses what nlohmann's permissive parse would let
// through: duplicate keys (named by path), nesting deeper than max_depth,
// invalid UTF-8, trailing garbage, numbers that overflow; each is a 400
// problem naming where. FieldReader then reads one object's fields with type
// and range checks and, at the end, names every field it did not read (422):
//
//   auto doc = parse_json_body(req.body);            // Result<json>, error: 400 Problem
//   FieldReader spec(*doc);
//   auto vcpus = spec.uint("vcpus", 1, 64);          // std::optional<std::uint64_t>
//   auto env = spec.string_map("env");
//   if (auto problem = spec.finish("invalid VmSpec")) return problem->response();
//
// Pure functions and a value type; any thread.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aether/rest/problem.hpp"

namespace aether::rest {

inline constexpr int kDefaultMaxJsonDepth = 16;

// An empty body is the empty object (every field defaulted). The body must be
// a JSON object.
[[nodiscard]] std::expected<nlohmann::json, Problem> parse_json_body(
    std::string_view body, int max_depth = kDefaultMaxJsonDepth);

// 415 unless the Content-Type is application/json (parameters ignored) or the
// body is empty and no Content-Type was sent.
[[nodiscard]] std::optional<Problem> require_json_content_type(const Request& request);

class FieldReader {
 public:
  // prefix names this object's place in the body for messages ("spec.").
  explicit FieldReader(const nlohmann::json& object, std::string prefix = {});

  // Each returns nullopt when the field is absent (or null) or wrong; wrong
  // ones are recorded.
  [[nodiscard]] std::optional<std::string> string(std::string_view name,
                                                  std::size_t max_len = 4096);
  [[nodiscard]] std::optional<std::uint64_t> uint(std::string_view name, std::uint64_t min,
                                                  std::uint64_t max);
  [[nodiscard]] std::optional<bool> boolean(std::string_view name);
  [[nodiscard]] std::optional<std::vector<std::string>> string_list(std::string_view name,
                                                                    std::size_t max_items = 256);
  [[nodiscard]] std::optional<std::map<std::string, std::string>> string_map(
      std::string_view name, std::size_t max_items = 256);
  // The raw value (marks the field as read); for nested objects.
  [[nodiscard]] const nlohmann::json* raw(std::string_view name);

  void add_error(std::string field, std::string message);
  [[nodiscard]] const std::vector<FieldError>& errors() const { return errors_; }
  // Records every unread field as "unknown field", then: nullopt when there
  // were no errors, else a 422 problem with errors[] (detail = `what`).
  [[nodiscard]] std::optional<Problem> finish(std::string what);

 private:
  [[nodiscard]] const nlohmann::json* find(std::string_view name);
  [[nodiscard]] std::string path(std::string_view name) const {
    return prefix_ + std::string(name);
  }

  const nlohmann::json& object_;
  std::string prefix_;
  std::set<std::string, std::less<>> read_;
  std::vector<FieldError> errors_;
};

}  // namespace aether::rest
