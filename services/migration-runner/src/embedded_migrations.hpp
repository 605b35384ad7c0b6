// The migration files compiled into the binary (generated at build time from
// services/migration-runner/migrations/*.sql by services/migration-runner/embed_migrations.cmake).
#pragma once

#include <span>
#include <string_view>

namespace aether::migrate {

struct EmbeddedFile {
  std::string_view file;      // "0001_initial_schema.sql"
  std::string_view contents;  // exact bytes of the file
};

[[nodiscard]] std::span<const EmbeddedFile> embedded_migration_files();

}  // namespace aether::migrate
