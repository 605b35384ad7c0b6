// Benchmark: `aether-migration-runner up` on an empty database and a no-op
// `up` (what every pod start pays as an init container), against plain psql
// in the same run: `psql -f` of the same SQL files, and `psql -c` of the
// query a no-op needs at least. Both sides are whole processes connecting over
// TCP to the same local PostgreSQL (devstack), so the ratio is what an
// operator would see.
//
//   aether-bench-migrate [iterations]   (default 10)
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "aether/devstack/postgres.hpp"
#include "aether/schema/pg.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

// Runs argv with `extra_env` added; returns milliseconds, or -1 on failure.
double run(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  std::vector<std::string> env_store(extra_env);
  for (char** e = environ; *e != nullptr; ++e) env_store.emplace_back(*e);
  std::vector<char*> envp, args;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_store(argv);
  for (auto& a : argv_store) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const auto start = Clock::now();
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s exited with %d\n", argv[0].c_str(), WEXITSTATUS(status));
    return -1;
  }
  return ms;
}

bool admin_exec(const std::string& admin_url, const std::string& sql) {
  auto conn = aether::schema::connect(admin_url);
  if (!conn) {
    std::fprintf(stderr, "%s\n", conn.error().message.c_str());
    return false;
  }
  aether::schema::PgResult r(PQexec(conn->get(), sql.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    std::fprintf(stderr, "%s: %s\n", sql.c_str(), PQerrorMessage(conn->get()));
    return false;
  }
  return true;
}

// The real psql binary: /usr/bin/psql on Debian is a Perl wrapper whose
// start-up (~50 ms) would flatter us.
std::string find_psql() {
  std::string best = "psql";
  int best_version = -1;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    int v = std::atoi(e.path().filename().c_str());
    if (v > best_version && std::filesystem::exists(e.path() / "bin/psql")) {
      best_version = v;
      best = (e.path() / "bin/psql").string();
    }
  }
  return best;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  auto pg = aether::devstack::Postgres::start({});
  if (!pg) {
    std::fprintf(stderr, "PostgreSQL did not start: %s\n", pg.error().message.c_str());
    return 1;
  }
  const std::string runner = AETHER_MIGRATION_RUNNER_BIN;
  const std::string psql_bin = find_psql();
  std::vector<std::string> sql_files;
  for (const char* f : AETHER_MIGRATION_FILES) sql_files.emplace_back(f);
  const std::string base = pg->url().substr(0, pg->url().rfind('/') + 1);
  const std::vector<std::string> quiet_env = {"AETHER_MIGRATE_PUBLISH=off",
                                              "AETHER_LOG_LEVEL=warn"};

  std::vector<double> up_empty, psql_files, up_noop, psql_noop;
  for (int i = 0; i < iterations; ++i) {
    const std::string ours = "bench_runner_" + std::to_string(i);
    const std::string theirs = "bench_psql_" + std::to_string(i);
    if (!admin_exec(pg->admin_url(), "CREATE DATABASE " + ours + " OWNER aether") ||
        !admin_exec(pg->admin_url(), "CREATE DATABASE " + theirs + " OWNER aether")) {
      return 1;
    }
    std::vector<std::string> env = quiet_env;
    env.push_back("DATABASE_URL=" + base + ours);
    up_empty.push_back(run({runner, "up"}, env));
    up_noop.push_back(run({runner, "up"}, env));

    std::vector<std::string> psql = {psql_bin,          "-X", "-q",         "-v",
                                     "ON_ERROR_STOP=1", "-d", base + theirs};
    for (const auto& f : sql_files) {
      psql.push_back("-f");
      psql.push_back(f);
    }
    psql_files.push_back(run(psql, {}));
    psql_noop.push_back(run({psql_bin, "-X", "-q", "-d", base + ours, "-c",
                             "SELECT max(version) FROM schema_migrations"},
                            {}));
    for (double v : {up_empty.back(), up_noop.back(), psql_files.back(), psql_noop.back()}) {
      if (v < 0) return 1;
    }
  }
  const double a = median(up_empty), b = median(psql_files), c = median(up_noop),
               d = median(psql_noop);
  std::printf(
      "migrate bench: %d iterations, %zu migration files, median wall time per process "
      "(baseline: %s)\n",
      iterations, sql_files.size(), psql_bin.c_str());
  std::printf(
      "  up on an empty database      %8.1f ms   psql -f same files   %8.1f ms   ratio %.2fx\n", a,
      b, a / b);
  std::printf(
      "  no-op up (init container)    %8.1f ms   psql -c one SELECT   %8.1f ms   ratio %.2fx\n", c,
      d, c / d);
  // Machine-readable lines for `make bench` (tools/bench-report/README.md).
  std::printf(
      "BENCH figure=migrate.up_empty value=%.1f unit=ms baseline=%.1f "
      "baseline_of=psql_files better=lower\n",
      a, b);
  std::printf(
      "BENCH figure=migrate.up_noop value=%.1f unit=ms baseline=%.1f "
      "baseline_of=psql_select better=lower\n",
      c, d);
  return 0;
}
