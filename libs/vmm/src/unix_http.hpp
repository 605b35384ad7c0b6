// One HTTP/1.1 request over a Unix socket (Firecracker's API) with libcurl
// (CURLOPT_UNIX_SOCKET_PATH); cpp-httplib 0.11 in Debian has no Unix sockets.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "aether/vmm/errors.hpp"

namespace aether::vmm {

struct HttpResponse {
  long status = 0;
  std::string body;
};

[[nodiscard]] Result<HttpResponse> unix_http_request(const std::filesystem::path& socket,
                                                     const std::string& method,
                                                     const std::string& path,
                                                     const std::string& json_body,
                                                     std::chrono::milliseconds timeout);

}  // namespace aether::vmm
