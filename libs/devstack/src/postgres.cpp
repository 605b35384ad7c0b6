#include "aether/devstack/postgres.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "aether/devstack/net.hpp"
#include "launch.hpp"
#include "pg_handles.hpp"

namespace aether::devstack {
namespace {

constexpr const char* kOsUser = "postgres";

// The newest installed major version wins (/usr/lib/postgresql/15/bin, ...).
Result<std::filesystem::path> find_bin_dir(const std::string& configured) {
  if (!configured.empty()) {
    if (access((std::filesystem::path(configured) / "postgres").c_str(), X_OK) != 0) {
      return make_error(Errc::kNotFound, "PostgresOptions::bin_dir: " + configured +
                                             " holds no executable 'postgres'");
    }
    return std::filesystem::path(configured);
  }
  std::vector<std::pair<int, std::filesystem::path>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    auto bin = entry.path() / "bin";
    if (access((bin / "postgres").c_str(), X_OK) != 0) continue;
    int version = std::atoi(entry.path().filename().c_str());
    found.emplace_back(version, bin);
  }
  if (found.empty()) {
    return make_error(Errc::kNotFound,
                      "no PostgreSQL server under /usr/lib/postgresql/*/bin (install the "
                      "'postgresql' Debian package, see make deps)");
  }
  std::sort(found.begin(), found.end());
  return found.back().second;
}

Result<void> make_owned_dir(const std::filesystem::path& dir, mode_t mode, uid_t uid, gid_t gid) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(Errc::kIo, "cannot create " + dir.string() + ": " + ec.message());
  if (chown(dir.c_str(), uid, gid) != 0 || chmod(dir.c_str(), mode) != 0) {
    return make_error(
        Errc::kIo, "cannot hand " + dir.string() + " to OS user postgres: " + std::strerror(errno));
  }
  return {};
}

Result<void> check_name(const std::string& value, const char* field) {
  if (value.empty()) {
    return make_error(Errc::kInvalidArgument, std::string(field) + ": must not be empty");
  }
  return {};
}

}  // namespace

Result<Postgres> Postgres::start(Options options) {
  for (auto [value, field] :
       {std::pair{&options.user, "PostgresOptions::user"},
        std::pair{&options.password, "PostgresOptions::password"},
        std::pair{&options.database, "PostgresOptions::database"},
        std::pair{&options.admin_password, "PostgresOptions::admin_password"}}) {
    if (auto ok = check_name(*value, field); !ok) return std::unexpected(ok.error());
  }
  Postgres pg;
  auto bin = find_bin_dir(options.bin_dir);
  if (!bin) return std::unexpected(bin.error());
  pg.bin_dir_ = *bin;
  auto settings =
      settings_of(options, {"postgres", "postgres", "aether-pg", "PostgresOptions::port"});
  pg.options_ = std::move(options);
  return start_launcher(std::move(pg), std::move(settings));
}

Result<void> Postgres::prepare() {
  if (auto ok = prepare_dirs(); !ok) return ok;
  return init_cluster();
}

Result<void> Postgres::prepare_dirs() {
  struct passwd* pw = getpwnam(kOsUser);
  if (pw == nullptr) {
    return make_error(Errc::kNotFound,
                      "OS user 'postgres' does not exist (install the 'postgresql' package)");
  }
  // The postgres user must reach its directories through ours: open up the
  // state dir itself, and name the first ancestor it cannot enter.
  struct stat st {};
  for (auto p = dir_.path().parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0 && st.st_uid != pw->pw_uid) {
      return make_error(Errc::kInvalidArgument,
                        "PostgresOptions::state_dir: OS user postgres cannot enter " + p.string() +
                            " (no search permission for others); PostgreSQL must run as "
                            "postgres, so put the state dir where that user can reach it");
    }
  }
  if (stat(dir_.path().c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
    if (chmod(dir_.path().c_str(), (st.st_mode & 07777) | S_IXOTH | S_IXGRP) != 0) {
      return make_error(Errc::kIo,
                        "cannot chmod " + dir_.path().string() + ": " + std::strerror(errno));
    }
  }
  if (auto ok = make_owned_dir(dir_.path() / "data", 0700, pw->pw_uid, pw->pw_gid); !ok) {
    return ok;
  }
  return make_owned_dir(socket_dir(), 0755, pw->pw_uid, pw->pw_gid);
}

Result<void> Postgres::init_cluster() {
  const auto data = dir_.path() / "data";
  if (std::filesystem::exists(data / "PG_VERSION")) return {};  // already initialised
  const auto pwfile = dir_.path() / "initdb.pw";
  {
    std::ofstream out(pwfile, std::ios::trunc);
    out << options_.admin_password << '\n';
    if (!out) return make_error(Errc::kIo, "cannot write " + pwfile.string());
  }
  struct passwd* pw = getpwnam(kOsUser);
  if (pw == nullptr || chown(pwfile.c_str(), pw->pw_uid, pw->pw_gid) != 0 ||
      chmod(pwfile.c_str(), 0600) != 0) {
    return make_error(Errc::kIo, "cannot hand " + pwfile.string() + " to OS user postgres");
  }
  process::Spec spec;
  spec.argv = {(bin_dir_ / "initdb").string(),
               "-D",
               data.string(),
               "-U",
               "postgres",
               "--pwfile=" + pwfile.string(),
               "--auth-local=trust",
               "--auth-host=scram-sha-256",
               "-E",
               "UTF8",
               "--locale=C",
               "--no-sync",
               "--no-instructions"};
  spec.log_file = dir_.path() / "initdb.log";
  spec.run_as_user = kOsUser;
  spec.working_dir = dir_.path();
  auto done = detail::run_to_completion("initdb", std::move(spec), options_.start_timeout);
  std::error_code ignored;
  std::filesystem::remove(pwfile, ignored);
  return done;
}

Result<void> Postgres::launch_process() {
  process::Spec spec;
  spec.argv = {(bin_dir_ / "postgres").string(), "-D", (dir_.path() / "data").string(), "-p",
               std::to_string(port_), "-k", socket_dir().string(), "-c",
               "listen_addresses=127.0.0.1",
               // Test and dev data only: durability traded for speed.
               "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
               "-c", "max_connections=200"};
  spec.run_as_user = kOsUser;
  spec.working_dir = dir_.path();
  spec.stop_signal = SIGINT;  // "fast" shutdown: no waiting for clients to leave
  const std::string conninfo = socket_conninfo();
  return launch(std::move(spec), [&conninfo] { return PQping(conninfo.c_str()) == PQPING_OK; });
}

std::string Postgres::socket_conninfo() const {
  return "host=" + socket_dir().string() + " port=" + std::to_string(port_) +
         " user=postgres dbname=postgres connect_timeout=5";
}

std::string Postgres::url() const {
  return "postgresql://" + detail::url_encode(options_.user) + ":" +
         detail::url_encode(options_.password) + "@127.0.0.1:" + std::to_string(port_) + "/" +
         detail::url_encode(options_.database);
}

std::string Postgres::admin_url() const {
  return "postgresql://postgres:" + detail::url_encode(options_.admin_password) +
         "@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

std::filesystem::path Postgres::socket_dir() const { return dir_.path() / "run"; }

}  // namespace aether::devstack
