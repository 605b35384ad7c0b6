#include "control.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>
#include <sstream>

#include "e2e_env.hpp"
#include "suite.hpp"

namespace aether::e2e {
namespace {

struct PipeCloser {
  int* status;
  void operator()(FILE* f) const { *status = pclose(f); }
};

}  // namespace

bool control_available() { return !env().control.empty(); }

ControlResult control(const std::string& verb, const std::vector<std::string>& args) {
  ControlResult result;
  if (!control_available()) {
    result.exit_code = 3;
    result.out = "AETHER_E2E_CONTROL is not set";
    return result;
  }
  // The control string is a command line by contract (script and state dir).
  std::string line = env().control + " " + shell_quote(verb);
  for (const auto& a : args) line += " " + shell_quote(a);
  int status = -1;
  {
    std::unique_ptr<FILE, PipeCloser> pipe(popen(line.c_str(), "r"), PipeCloser{&status});
    if (!pipe) return result;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) result.out.append(buf.data(), n);
  }
  while (!result.out.empty() && result.out.back() == '\n') result.out.pop_back();
  result.exit_code = (status >= 0 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return result;
}

std::vector<std::string> worker_list() {
  std::vector<std::string> ids;
  auto r = control("worker-list");
  if (!r.ok()) return ids;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) ids.push_back(line);
  }
  return ids;
}

}  // namespace aether::e2e
