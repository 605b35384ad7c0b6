// The few Kubernetes API calls the provisioner makes (GET and PATCH
// /api/v1/nodes/{name}), over libcurl: no C++ Kubernetes client is packaged
// in Debian. Credentials come from the pod's service account (token file,
// CA, KUBERNETES_SERVICE_HOST/PORT) or from a kubeconfig for a run outside
// the cluster. The token file is read again for every call, since the
// kubelet rotates bound service-account tokens.
//
// Threads: a KubeClient may be used from one thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "errors.hpp"

namespace aether::provisioner {

struct KubeCredentials {
  std::string server;      // https://host:port
  std::string token;       // a bearer token given inline (kubeconfig)
  std::string token_file;  // or read from this file on every call (service account)
  std::string ca_file;     // PEM file, or
  std::string ca_pem;      // PEM data (kubeconfig certificate-authority-data)
  std::string client_cert_pem, client_key_pem;  // kubeconfig client-certificate/key(-data)
  bool insecure_skip_tls_verify = false;
  std::string source;  // "in-cluster" or the kubeconfig path, for messages
};

using EnvGetter = std::function<std::optional<std::string>(const std::string&)>;
[[nodiscard]] EnvGetter process_env_getter();

// KUBERNETES_SERVICE_HOST/_PORT and <sa_dir>/token, <sa_dir>/ca.crt.
[[nodiscard]] Result<KubeCredentials> in_cluster_credentials(
    const EnvGetter& env,
    const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");
// The current (or named) context of a kubeconfig file.
[[nodiscard]] Result<KubeCredentials> kubeconfig_credentials(const std::string& path,
                                                             const std::string& context = "");

struct KubeClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{15'000};
};

class KubeClient {
 public:
  explicit KubeClient(KubeCredentials credentials, KubeClientOptions options = {});

  [[nodiscard]] Result<nlohmann::json> get_node(const std::string& name);
  // PATCH with Content-Type application/merge-patch+json (RFC 7386).
  [[nodiscard]] Result<nlohmann::json> merge_patch_node(const std::string& name,
                                                        const nlohmann::json& patch);

  [[nodiscard]] const KubeCredentials& credentials() const { return credentials_; }

 private:
  [[nodiscard]] Result<nlohmann::json> call(const std::string& method, const std::string& path,
                                            const std::string& body);
  KubeCredentials credentials_;
  KubeClientOptions options_;
};

}  // namespace aether::provisioner
