// A CA and a server certificate for 127.0.0.1 made by the openssl command for
// one test, so HTTPS test servers are verified like the real API server.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "aether/devstack/shell.hpp"
#include "temp_dir.hpp"

namespace aether::provisioner::testing {

struct TestTls {
  TempDir dir;
  std::filesystem::path ca_cert, server_cert, server_key;
  TestTls() {
    ca_cert = dir.path / "ca.crt";
    server_cert = dir.path / "server.crt";
    server_key = dir.path / "server.key";
    const std::string d = dir.path.string();
    const std::string script =
        "set -e; cd " + d +
        "; openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=aether-test-ca"
        " -keyout ca.key -out ca.crt 2>/dev/null"
        "; openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key"
        " -out server.csr 2>/dev/null"
        "; printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf"
        "; openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1"
        " -extfile ext.cnf -out server.crt 2>/dev/null";
    const auto r = devstack::run_command(script);
    REQUIRE(r.exit_code == 0);
  }
};

}  // namespace aether::provisioner::testing
