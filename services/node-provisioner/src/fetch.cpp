#include "fetch.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

namespace aether::provisioner {
namespace {

Result<void> fetch_local(const std::string& path, const FetchSink& sink) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::kFetch, "cannot open '" + path + "': " + std::strerror(errno));
  std::unique_ptr<int, void (*)(int*)> guard(new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return {};
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::kFetch, "reading '" + path + "': " + std::strerror(errno));
    }
    if (auto r = sink(std::string_view(buf, static_cast<std::size_t>(n))); !r) return r;
  }
}

struct CurlState {
  const FetchSink* sink;
  std::optional<Error> sink_error;
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* state = static_cast<CurlState*>(user);
  if (auto r = (*state->sink)(std::string_view(data, size * count)); !r) {
    state->sink_error = r.error();
    return 0;  // aborts the transfer
  }
  return size * count;
}

Result<void> fetch_https(const std::string& url, const FetchOptions& options,
                         const FetchSink& sink) {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return fail(Errc::kFetch, "curl_easy_init failed");
  CurlState state{&sink, std::nullopt};
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  if (!options.ca_file.empty())
    curl_easy_setopt(curl.get(), CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &state);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (state.sink_error) return std::unexpected(*state.sink_error);
  if (rc != CURLE_OK) {
    return fail(Errc::kFetch, "downloading " + url + ": " +
                                  (errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc)));
  }
  return {};
}

}  // namespace

std::string local_path_of(const std::string& source) {
  if (source.rfind("file://", 0) == 0) return source.substr(7);
  if (source.rfind("https://", 0) == 0) return "";
  return source;
}

Result<void> fetch_source(const std::string& source, const FetchOptions& options,
                          const FetchSink& sink) {
  if (source.rfind("https://", 0) == 0) return fetch_https(source, options, sink);
  if (source.find("://") != std::string::npos && source.rfind("file://", 0) != 0) {
    return fail(Errc::kInvalidConfig,
                "source '" + source + "': only https://, file:// and paths are accepted");
  }
  const std::string path = local_path_of(source);
  if (path.empty() || path.front() != '/') {
    return fail(Errc::kInvalidConfig, "source '" + source + "': the path must be absolute");
  }
  return fetch_local(path, sink);
}

}  // namespace aether::provisioner
