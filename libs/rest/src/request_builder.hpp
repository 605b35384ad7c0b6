// Turning a parsed Beast request into a rest::Request, and the ids the server
// hands out (private).
#pragma once

#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

#include "aether/rest/message.hpp"

namespace aether::rest {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Splits target into path and decoded query parameters. false: the target is
// not an origin-form URI (the server answers 400).
[[nodiscard]] bool split_target(std::string_view target, Request& out);

// X-Request-Id as sent when it is 1..128 characters of [A-Za-z0-9._:-];
// otherwise (or when absent) a new random 32-hex id.
[[nodiscard]] std::string request_id_for(std::string_view sent);

void copy_headers(const BeastRequest& in, Request& out);

}  // namespace aether::rest
