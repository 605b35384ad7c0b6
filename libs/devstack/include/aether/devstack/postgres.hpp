// A real PostgreSQL server on a loopback port, for tests, benchmarks and
// `make run`.
//
// start() runs initdb (first time only) and postgres as the `postgres` OS user
// (PostgreSQL refuses root), with the data directory in <state>/data, the Unix
// socket in <state>/run, the log in <state>/postgres.log, fsync off (test data
// only) and scram-sha-256 password auth on 127.0.0.1. It waits until the
// server accepts connections (PQping), then makes sure the login role and
// database of Options exist (default aether/aether/aether), so url() works at
// once. The destructor stops the server (fast shutdown) and removes a
// temporary state dir, unless Options::detach is set.
//
// Movable, not copyable; one owner thread at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "aether/devstack/error.hpp"
#include "aether/devstack/server.hpp"

namespace aether::devstack {

struct PostgresOptions {
  std::string state_dir;  // empty: a fresh temporary directory, removed on destruction
  int port = 0;           // 0 picks a free one
  std::string user = "aether";
  std::string password = "aether";
  std::string database = "aether";
  std::string admin_password = "postgres";  // of the `postgres` superuser, for admin_url()
  bool detach = false;  // keep running (and keep the state dir) after destruction
  std::chrono::milliseconds start_timeout{60'000};  // initdb + start-up, each
  std::string bin_dir;  // empty: the newest /usr/lib/postgresql/<version>/bin
};

class Postgres final : public Server {
 public:
  using Options = PostgresOptions;

  [[nodiscard]] static Result<Postgres> start(Options options = {});

  // Movable (see Server); destruction stops the process, then removes a temporary dir.
  // postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE (aether:aether@.../aether)
  [[nodiscard]] std::string url() const;
  // postgresql://postgres:ADMIN_PASSWORD@127.0.0.1:PORT/postgres (superuser)
  [[nodiscard]] std::string admin_url() const;
  [[nodiscard]] std::filesystem::path socket_dir() const;
  // stop(), restart(), port(), pid(), state_dir(), log_file(), running(): see Server.

 private:
  Postgres() = default;
  [[nodiscard]] Result<void> prepare_dirs();
  [[nodiscard]] Result<void> init_cluster();
  [[nodiscard]] Result<void> launch_process() override;
  [[nodiscard]] Result<void> ensure_role_and_database();
  [[nodiscard]] Result<void> prepare() override;
  [[nodiscard]] Result<void> after_launch() override { return ensure_role_and_database(); }
  [[nodiscard]] std::string socket_conninfo() const;

  Options options_;
  std::filesystem::path bin_dir_;
};

}  // namespace aether::devstack
