// RFC 9457 problem details (application/problem+json): every error answer of
// the api is one. `errors` lists validation failures by field.
//
//   return Problem::unprocessable("invalid VmSpec", {{"vcpus", "must be 1..64"}}).response();
//   return Problem::unavailable("PostgreSQL is unreachable", 2).response();  // + Retry-After
#pragma once

#include <string>
#include <vector>

#include "aether/rest/message.hpp"

namespace aether::rest {

struct FieldError {
  std::string field;  // JSON pointer-ish path: "spec.vcpus", "env.HOME", "labels"
  std::string message;
};

struct Problem {
  int status = 500;
  std::string title;
  std::string detail;
  std::string type;  // URI reference; empty: "about:blank" (the status says it all)
  std::vector<FieldError> errors;
  int retry_after_seconds = 0;  // > 0: Retry-After header (429, 503)

  // The answer: status, Content-Type application/problem+json, the JSON body
  // {type,title,status,detail[,errors]} and Retry-After when set.
  [[nodiscard]] Response response() const;

  [[nodiscard]] static Problem bad_request(std::string detail, std::vector<FieldError> errors = {});
  [[nodiscard]] static Problem unprocessable(std::string detail,
                                             std::vector<FieldError> errors = {});
  [[nodiscard]] static Problem unauthorized(std::string detail);
  [[nodiscard]] static Problem forbidden(std::string detail);
  [[nodiscard]] static Problem not_found(std::string detail);
  [[nodiscard]] static Problem method_not_allowed(std::string detail);
  [[nodiscard]] static Problem conflict(std::string detail);
  [[nodiscard]] static Problem payload_too_large(std::string detail);
  [[nodiscard]] static Problem unsupported_media_type(std::string detail);
  [[nodiscard]] static Problem too_many_requests(std::string detail, int retry_after_seconds);
  [[nodiscard]] static Problem unavailable(std::string detail, int retry_after_seconds);
  [[nodiscard]] static Problem gateway_timeout(std::string detail);
  [[nodiscard]] static Problem internal(std::string detail);
};

// The short English reason for a status ("Not Found"), "Unknown" otherwise.
[[nodiscard]] std::string reason_phrase(int status);

}  // namespace aether::rest
