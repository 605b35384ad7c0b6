// Where the API server and its credentials come from (in-cluster or kubeconfig).
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kube_client.hpp"

namespace aether::provisioner {
namespace fs = std::filesystem;
namespace {

std::string base64_decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    const auto pos = chars.find(c);
    if (pos == std::string::npos) return "";
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

std::optional<std::string> read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The `field` of the entry called `name` in a kubeconfig list, if any.
std::optional<YAML::Node> find_named(const YAML::Node& list, const std::string& name,
                                     const char* field) {
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const auto& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name && item[field] &&
        item[field].IsMap()) {
      return item[field];
    }
  }
  return std::nullopt;
}

// A path in a kubeconfig is relative to the kubeconfig's directory.
std::string resolve(const std::string& path, const fs::path& base) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (base / path).string();
}

}  // namespace

EnvGetter process_env_getter() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<KubeCredentials> in_cluster_credentials(const EnvGetter& env, const std::string& sa_dir) {
  const auto host = env("KUBERNETES_SERVICE_HOST");
  if (!host || host->empty()) {
    return fail(Errc::kKubeAuth,
                "in-cluster: KUBERNETES_SERVICE_HOST is not set (not running in a pod?)");
  }
  const auto port = env("KUBERNETES_SERVICE_PORT");
  KubeCredentials c;
  c.source = "in-cluster";
  const bool ipv6 = host->find(':') != std::string::npos;
  c.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" +
             (port && !port->empty() ? *port : "443");
  c.token_file = (fs::path(sa_dir) / "token").string();
  c.ca_file = (fs::path(sa_dir) / "ca.crt").string();
  std::error_code ec;
  if (!fs::exists(c.token_file, ec)) {
    return fail(Errc::kKubeAuth, "in-cluster: no service-account token at " + c.token_file +
                                     " (automountServiceAccountToken off?)");
  }
  if (!fs::exists(c.ca_file, ec)) {
    return fail(Errc::kKubeAuth, "in-cluster: no cluster CA at " + c.ca_file);
  }
  return c;
}

Result<KubeCredentials> kubeconfig_credentials(const std::string& path,
                                               const std::string& context) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return fail(Errc::kKubeAuth, "kubeconfig " + path + ": " + e.what());
  }
  const fs::path base = fs::path(path).parent_path();
  try {
    const std::string ctx_name =
        !context.empty()
            ? context
            : (root["current-context"] ? root["current-context"].as<std::string>() : "");
    if (ctx_name.empty())
      return fail(Errc::kKubeAuth, "kubeconfig " + path + ": no current-context");
    const auto found_ctx = find_named(root["contexts"], ctx_name, "context");
    if (!found_ctx) {
      return fail(Errc::kKubeAuth, "kubeconfig " + path + ": no context '" + ctx_name + "'");
    }
    const YAML::Node& ctx = *found_ctx;
    const std::string cluster_name = ctx["cluster"] ? ctx["cluster"].as<std::string>() : "";
    const std::string user_name = ctx["user"] ? ctx["user"].as<std::string>() : "";
    const auto found_cluster = find_named(root["clusters"], cluster_name, "cluster");
    if (!found_cluster || !(*found_cluster)["server"]) {
      return fail(Errc::kKubeAuth,
                  "kubeconfig " + path + ": cluster '" + cluster_name + "' has no server");
    }
    const YAML::Node& cluster = *found_cluster;
    KubeCredentials c;
    c.source = path;
    c.server = cluster["server"].as<std::string>();
    if (c.server.rfind("https://", 0) != 0) {
      return fail(Errc::kKubeAuth, "kubeconfig " + path + ": server '" + c.server +
                                       "' must be https:// (the token would go in clear)");
    }
    while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
    if (cluster["certificate-authority-data"]) {
      c.ca_pem = base64_decode(cluster["certificate-authority-data"].as<std::string>());
    } else if (cluster["certificate-authority"]) {
      c.ca_file = resolve(cluster["certificate-authority"].as<std::string>(), base);
    }
    if (cluster["insecure-skip-tls-verify"]) {
      c.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"].as<bool>();
    }
    if (const auto found_user = find_named(root["users"], user_name, "user")) {
      const YAML::Node& user = *found_user;
      if (user["token"]) c.token = user["token"].as<std::string>();
      if (user["tokenFile"]) c.token_file = resolve(user["tokenFile"].as<std::string>(), base);
      auto pem = [&](const char* data, const char* file) -> std::string {
        if (user[data]) return base64_decode(user[data].as<std::string>());
        if (user[file]) return read_file(resolve(user[file].as<std::string>(), base)).value_or("");
        return "";
      };
      c.client_cert_pem = pem("client-certificate-data", "client-certificate");
      c.client_key_pem = pem("client-key-data", "client-key");
      if (user["exec"] || user["auth-provider"]) {
        if (c.token.empty() && c.client_cert_pem.empty()) {
          return fail(Errc::kKubeAuth, "kubeconfig " + path + ": user '" + user_name +
                                           "' uses an exec/auth-provider plugin, which is not "
                                           "supported; give a token or a client certificate");
        }
      }
    }
    if (c.token.empty() && c.token_file.empty() && c.client_cert_pem.empty()) {
      return fail(Errc::kKubeAuth, "kubeconfig " + path + ": user '" + user_name +
                                       "' has no token, tokenFile or client certificate");
    }
    return c;
  } catch (const YAML::Exception& e) {
    return fail(Errc::kKubeAuth, "kubeconfig " + path + ": " + e.what());
  }
}

}  // namespace aether::provisioner
