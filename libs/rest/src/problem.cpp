#include "aether/rest/problem.hpp"

#include <nlohmann/json.hpp>

namespace aether::rest {

std::string reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

Response Problem::response() const {
  nlohmann::json body = {{"type", type.empty() ? "about:blank" : type},
                         {"title", title.empty() ? reason_phrase(status) : title},
                         {"status", status},
                         {"detail", detail}};
  if (!errors.empty()) {
    auto& list = body["errors"] = nlohmann::json::array();
    for (const auto& e : errors) list.push_back({{"field", e.field}, {"message", e.message}});
  }
  Response r = Response::json(status, body);
  r.headers.set("Content-Type", "application/problem+json");
  if (retry_after_seconds > 0) r.headers.set("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

namespace {
Problem make(int status, std::string detail, std::vector<FieldError> errors = {}) {
  return Problem{.status = status,
                 .title = reason_phrase(status),
                 .detail = std::move(detail),
                 .type = {},
                 .errors = std::move(errors),
                 .retry_after_seconds = 0};
}
}  // namespace

Problem Problem::bad_request(std::string d, std::vector<FieldError> e) {
  return make(400, std::move(d), std::move(e));
}
Problem Problem::unprocessable(std::string d, std::vector<FieldError> e) {
  return make(422, std::move(d), std::move(e));
}
Problem Problem::unauthorized(std::string d) { return make(401, std::move(d)); }
Problem Problem::forbidden(std::string d) { return make(403, std::move(d)); }
Problem Problem::not_found(std::string d) { return make(404, std::move(d)); }
Problem Problem::method_not_allowed(std::string d) { return make(405, std::move(d)); }
Problem Problem::conflict(std::string d) { return make(409, std::move(d)); }
Problem Problem::payload_too_large(std::string d) { return make(413, std::move(d)); }
Problem Problem::unsupported_media_type(std::string d) { return make(415, std::move(d)); }
Problem Problem::too_many_requests(std::string d, int retry) {
  Problem p = make(429, std::move(d));
  p.retry_after_seconds = retry < 1 ? 1 : retry;
  return p;
}
Problem Problem::unavailable(std::string d, int retry) {
  Problem p = make(503, std::move(d));
  p.retry_after_seconds = retry < 1 ? 1 : retry;
  return p;
}
Problem Problem::gateway_timeout(std::string d) { return make(504, std::move(d)); }
Problem Problem::internal(std::string d) { return make(500, std::move(d)); }

}  // namespace aether::rest
