#include "e2e_env.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <optional>

namespace aether::e2e {
namespace {

std::string get(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::optional<E2eEnv>& storage() {
  static std::optional<E2eEnv> value;
  return value;
}

// <build>/e2e/aether-e2e -> <build>/tools/aetherctl/aetherctl
std::string aetherctl_near(const char* argv0) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec && argv0) self = std::filesystem::absolute(argv0, ec);
  if (ec) return {};
  auto candidate = self.parent_path().parent_path() / "tools" / "aetherctl" / "aetherctl";
  return access(candidate.c_str(), X_OK) == 0 ? candidate.string() : std::string();
}

}  // namespace

std::vector<std::string> E2eEnv::problems() const {
  std::vector<std::string> out;
  if (api_url.rfind("http://", 0) != 0 && api_url.rfind("https://", 0) != 0) {
    out.push_back("AETHER_API_URL='" + api_url + "' is not an http(s):// URL");
  }
  if (api_key.empty()) out.push_back("AETHER_API_KEY is not set");
  if (nats_url.rfind("nats://", 0) != 0 && nats_url.rfind("tls://", 0) != 0) {
    out.push_back("NATS_URL='" + nats_url + "' is not a nats:// URL");
  }
  if (chaos_creates < 1 || chaos_creates > 500) {
    out.push_back("AETHER_E2E_CHAOS_CREATES=" + std::to_string(chaos_creates) +
                  " is not in 1..500");
  }
  return out;
}

void init_env(const char* argv0) {
  E2eEnv e;
  e.api_url = get("AETHER_API_URL");
  while (!e.api_url.empty() && e.api_url.back() == '/') e.api_url.pop_back();
  e.api_key = get("AETHER_API_KEY");
  e.nats_url = get("NATS_URL");
  e.jaeger_url = get("AETHER_JAEGER_URL");
  while (!e.jaeger_url.empty() && e.jaeger_url.back() == '/') e.jaeger_url.pop_back();
  e.target = get("AETHER_E2E_TARGET");
  e.control = get("AETHER_E2E_CONTROL");
  e.aetherctl = get("AETHER_E2E_AETHERCTL");
  if (e.aetherctl.empty()) e.aetherctl = aetherctl_near(argv0);
  const auto chaos = get("AETHER_E2E_CHAOS_CREATES");
  if (!chaos.empty()) {
    int n = 0;
    auto [p, ec] = std::from_chars(chaos.data(), chaos.data() + chaos.size(), n);
    e.chaos_creates = (ec == std::errc() && p == chaos.data() + chaos.size()) ? n : -1;
  }
  storage() = std::move(e);
}

const E2eEnv& env() {
  if (!storage()) init_env(nullptr);
  return *storage();
}

}  // namespace aether::e2e
