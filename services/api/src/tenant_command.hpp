// `aether-api tenant create <id> [--operator] [--name TEXT] [--existing]`:
// the bootstrap without a key. Writes to PostgreSQL directly (DATABASE_URL),
// creates the tenant (or, with --existing, uses the one that exists) and
// issues a key, printed ALONE on stdout so `KEY=$(aether-api tenant create
// acme)` works; the key is never shown again. Messages go to stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>

#include "aether/pg/pool.hpp"

namespace aether::api {

struct TenantCreateArgs {
  std::string id;
  std::string name;             // display name and key name
  bool operator_scope = false;  // the key also gets scope "operator"
  bool existing = false;        // the tenant may exist already: only issue a key
};

// Registers `tenant create` on the app; `parsed()` of the returned
// subcommand says whether it ran. `args` must outlive parsing.
CLI::App* add_tenant_command(CLI::App& app, TenantCreateArgs& args);

// Exit code: 0 key printed; 1 database error; 2 bad id or the tenant exists
// (without --existing).
[[nodiscard]] int run_tenant_create(const TenantCreateArgs& args, pg::Pool& pool, std::ostream& out,
                                    std::ostream& err);

}  // namespace aether::api
