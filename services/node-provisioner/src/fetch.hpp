// Reading an asset source: `file://PATH`, a plain path, or `https://` through
// libcurl. The bytes go to a callback as they arrive, so the caller hashes and
// writes them without holding the file in memory.
//
// Threads: each call is independent (one curl easy handle per call).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "errors.hpp"

namespace aether::provisioner {

struct FetchOptions {
  std::string ca_file;  // extra CA bundle for https sources (empty: the system's)
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{600'000};
};

// Returns kFetch naming the source and the reason; a sink error (the sink
// returns one) is passed through unchanged.
using FetchSink = std::function<Result<void>(std::string_view chunk)>;
[[nodiscard]] Result<void> fetch_source(const std::string& source, const FetchOptions& options,
                                        const FetchSink& sink);

// The local path of a file:// URL or plain path; empty for https.
[[nodiscard]] std::string local_path_of(const std::string& source);

}  // namespace aether::provisioner
