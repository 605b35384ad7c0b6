#include "suite.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

namespace aether::e2e {
namespace {

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 8; ++i) s += kChars[rng() % (sizeof kChars - 1)];
  return s;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A temp dir removed when it goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "aether-e2e-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Tenant make_tenant(const std::string& prefix, const Json& quotas, std::string& why) {
  Rest op;
  Tenant t;
  Json body = quotas.is_object() ? quotas : Json::object();
  body["id"] = prefix + "-" + random_suffix();
  auto created = op.post("/v1/tenants", body);
  if (created.status != 201 && created.status != 200) {
    why = "POST /v1/tenants: " + created.describe();
    return t;
  }
  auto key =
      op.post("/v1/tenants/" + body["id"].get<std::string>() + "/keys", Json{{"scopes", {"vms"}}});
  auto kj = key.json();
  if ((key.status != 201 && key.status != 200) || !kj.is_object() || !kj.contains("key")) {
    why = "POST /v1/tenants/{id}/keys: " + key.describe();
    return t;
  }
  t.id = body["id"];
  t.key = kj["key"];
  return t;
}

Json vm_events(Rest& rest, const std::string& id) {
  auto a = rest.get("/v1/vms/" + id + "/events");
  auto j = a.json();
  if (a.status != 200 || !j.is_object() || !j.contains("events")) return Json::array();
  return j["events"];
}

int count_state(const Json& events, const std::string& state) {
  int n = 0;
  for (const auto& e : events) n += e.value("state", "") == state ? 1 : 0;
  return n;
}

std::vector<std::string> workers_reporting(const Json& events, const std::string& state) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (e.value("state", "") != state) continue;
    auto w = e.value("workerId", "");
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  }
  return out;
}

void dispose(Rest& rest, const std::vector<std::string>& ids) {
  for (const auto& id : ids) (void)rest.call("DELETE", "/v1/vms/" + id);
}

Ran run_shell(const std::string& line, const std::string& stdin_data) {
  Ran ran;
  TempDir dir;
  if (dir.path().empty()) return ran;
  const auto in = dir.path() / "stdin";
  const auto out = dir.path() / "stdout";
  const auto err = dir.path() / "stderr";
  {
    std::ofstream f(in, std::ios::binary);
    f << stdin_data;
  }
  const std::string full = "(" + line + ") <" + shell_quote(in.string()) + " >" +
                           shell_quote(out.string()) + " 2>" + shell_quote(err.string());
  const int status = std::system(full.c_str());
  ran.exit_code = (status >= 0 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  ran.out = slurp(out);
  ran.err = slurp(err);
  return ran;
}

}  // namespace aether::e2e
