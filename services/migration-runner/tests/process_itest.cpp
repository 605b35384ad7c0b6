// The real binary, 8 processes at once against one database (what a rollout
// of 8 api pods with the runner as init container does).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "fixture.hpp"

extern char** environ;

using namespace aether::migrate;
using namespace aether::migrate::testing;

namespace {

pid_t spawn_runner(const std::string& url, const std::string& pod, const std::string& out_file) {
  std::vector<std::string> env_store = {"DATABASE_URL=" + url, "POD_NAME=" + pod,
                                        "AETHER_MIGRATE_PUBLISH=false", "AETHER_LOG_LEVEL=warn"};
  for (char** e = environ; *e != nullptr; ++e) env_store.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string bin = AETHER_MIGRATION_RUNNER_BIN, up = "up";
  std::vector<char*> argv = {bin.data(), up.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

}  // namespace

TEST_CASE("8 runner processes at once apply each migration exactly once") {
  constexpr int kProcesses = 8;
  ScratchDir outputs;
  const std::string url = server().url();
  std::vector<pid_t> pids;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = spawn_runner(url, "api-" + std::to_string(i),
                             (outputs.path() / ("out-" + std::to_string(i))).string());
    REQUIRE(pid > 0);
    pids.push_back(pid);
  }
  int appliers = 0;
  for (int i = 0; i < kProcesses; ++i) {
    int status = 0;
    REQUIRE(waitpid(pids[i], &status, 0) == pids[i]);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    std::ifstream in(outputs.path() / ("out-" + std::to_string(i)));
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("schema migrated 0 ->") != std::string::npos) ++appliers;
  }
  CHECK(appliers == 1);
  const auto n = embedded().size();
  CHECK(query_value(url, "SELECT count(*) FROM schema_migrations") == std::to_string(n));
  CHECK(query_value(url, "SELECT count(DISTINCT applied_by) FROM schema_migrations") == "1");
  CHECK(query_value(url, "SELECT min(applied_by) FROM schema_migrations").starts_with("api-"));
}
