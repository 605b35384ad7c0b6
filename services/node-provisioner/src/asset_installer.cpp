#include "asset_installer.hpp"

#include <algorithm>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "aether/digest/sha256.hpp"
#include "aether/process/unique_fd.hpp"

namespace aether::provisioner {
namespace fs = std::filesystem;
namespace {

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return name.find("..") == std::string::npos;
}

// An errno from writing the asset directory, said for an operator.
std::string io_reason(int err, const fs::path& where) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return "disk full writing " + where.string();
    case EROFS:
      return where.string() + " is on a read-only filesystem (is the hostPath mounted read-only?)";
    case EACCES:
    case EPERM:
      return "permission denied writing " + where.string();
    default:
      return "writing " + where.string() + ": " + std::strerror(err);
  }
}

using Fd = process::UniqueFd;

void fsync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

void remove_stale_temps(const fs::path& dir, const std::string& file) {
  std::error_code ec;
  const std::string prefix = "." + file + ".tmp-";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) fs::remove(entry.path(), ec);
  }
}

}  // namespace

Result<AssetSource> parse_extra_source(const std::string& item) {
  const auto eq = item.find('=');
  const auto pin = item.rfind("#sha256=");
  if (eq == std::string::npos || pin == std::string::npos || pin < eq) {
    return fail(Errc::kInvalidConfig,
                "AETHER_EXTRA_ASSETS item '" + item + "': must be NAME=SOURCE#sha256=HEX");
  }
  AssetSource s{item.substr(0, eq), item.substr(eq + 1, pin - eq - 1), item.substr(pin + 8)};
  if (!valid_name(s.name)) {
    return fail(Errc::kInvalidConfig, "AETHER_EXTRA_ASSETS item '" + item + "': name '" + s.name +
                                          "' must be [A-Za-z0-9._-], not starting with '.'");
  }
  if (!is_hex64(s.sha256)) {
    return fail(Errc::kInvalidConfig,
                "AETHER_EXTRA_ASSETS item '" + item + "': sha256 must be 64 lowercase hex digits");
  }
  const bool https = s.source.rfind("https://", 0) == 0;
  const bool file = s.source.rfind("file:///", 0) == 0 || s.source.rfind('/', 0) == 0;
  if (!https && !file) {
    return fail(Errc::kInvalidConfig, "AETHER_EXTRA_ASSETS item '" + item + "': source '" +
                                          s.source +
                                          "' must be https://, file:///PATH or an absolute path");
  }
  s.name = "extra/" + s.name;
  return s;
}

Result<std::string> sha256_of_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(Errc::kIo, "cannot read " + file.string());
  digest::Sha256 sum;
  std::string buf(1 << 16, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    sum.update(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) return fail(Errc::kIo, "reading " + file.string() + " failed");
  return sum.hex();
}

Result<GuestManifest> read_guest_manifest(const fs::path& given, const std::string& prefix) {
  std::error_code ec;
  const fs::path dir = fs::absolute(given, ec);  // sources are absolute paths
  const fs::path file = dir / "manifest.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(Errc::kIo, "guest image: cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  auto json = nlohmann::json::parse(content, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("artefacts") ||
      !json["artefacts"].is_object() || json["artefacts"].empty()) {
    return fail(Errc::kInvalidConfig,
                "guest image: " + file.string() + " is not a manifest (no \"artefacts\" object)");
  }
  GuestManifest m;
  for (const auto& [name, art] : json["artefacts"].items()) {
    if (!valid_name(name) || !art.is_object() || !art.contains("sha256") ||
        !art["sha256"].is_string() || !is_hex64(art["sha256"].get<std::string>())) {
      return fail(Errc::kInvalidConfig, "guest image: " + file.string() + ": artefact '" + name +
                                            "' needs a valid name and a 64-hex sha256");
    }
    m.sources.push_back(
        {prefix + "/" + name, (dir / name).string(), art["sha256"].get<std::string>()});
  }
  // The manifest last: once it is installed, every artefact it names is.
  const std::string manifest_sum = digest::sha256_hex(content);
  m.sources.push_back({prefix + "/manifest.json", file.string(), manifest_sum});
  m.version = manifest_sum.substr(0, 12);
  if (json.contains("kernel_release") && json["kernel_release"].is_string()) {
    m.kernel_release = json["kernel_release"].get<std::string>();
  }
  return m;
}

Result<std::vector<GuestManifest>> read_template_manifests(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return fail(Errc::kInvalidConfig, "templates: " + root.string() + " is not a directory");
  }
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const auto name = entry.path().filename().string();
    if (entry.is_directory(ec) && valid_name(name) && fs::exists(entry.path() / "manifest.json")) {
      dirs.push_back(entry.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  std::vector<GuestManifest> out;
  for (const auto& dir : dirs) {
    auto m = read_guest_manifest(dir, "templates/" + dir.filename().string());
    if (!m) return std::unexpected(m.error());
    out.push_back(std::move(*m));
  }
  return out;
}

bool InstallReport::ok() const {
  for (const auto& a : assets) {
    if (a.error) return false;
  }
  return !assets.empty();
}

std::string InstallReport::failure_summary() const {
  std::string out;
  for (const auto& a : assets) {
    if (!a.error) continue;
    if (!out.empty()) out += "; ";
    out += a.error->message;
  }
  return out;
}

std::uint64_t InstallReport::bytes_copied() const {
  std::uint64_t n = 0;
  for (const auto& a : assets) n += a.bytes_copied;
  return n;
}

AssetInstaller::AssetInstaller(fs::path asset_dir, FetchOptions fetch)
    : asset_dir_(std::move(asset_dir)), fetch_(std::move(fetch)) {}

fs::path AssetInstaller::path_of(const AssetSource& source) const {
  return asset_dir_ / source.name;
}

Result<InstallOutcome> AssetInstaller::install(const AssetSource& source,
                                               std::uint64_t* bytes_copied) {
  const fs::path dest = path_of(source);
  const fs::path dir = dest.parent_path();
  const std::string what = "asset " + source.name + " from " + source.source;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::kIo, what + ": " + io_reason(ec.value(), dir));
  if (fs::exists(dest, ec)) {
    if (auto sum = sha256_of_file(dest); sum && *sum == source.sha256) {
      return InstallOutcome::kAlreadyCurrent;
    }
  }
  remove_stale_temps(dir, dest.filename().string());
  const fs::path tmp =
      dir / ("." + dest.filename().string() + ".tmp-" + std::to_string(::getpid()));
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return fail(Errc::kIo, what + ": " + io_reason(errno, tmp));
  struct TmpGuard {
    const fs::path& path;
    bool keep = false;
    ~TmpGuard() {
      std::error_code e;
      if (!keep) fs::remove(path, e);
    }
  } guard{tmp};

  digest::Sha256 sum;
  std::uint64_t copied = 0;
  auto fetched = fetch_source(source.source, fetch_, [&](std::string_view chunk) -> Result<void> {
    sum.update(chunk);
    while (!chunk.empty()) {
      const ssize_t n = ::write(fd.get(), chunk.data(), chunk.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail(Errc::kIo, what + ": " + io_reason(errno, tmp));
      }
      chunk.remove_prefix(static_cast<std::size_t>(n));
      copied += static_cast<std::uint64_t>(n);
    }
    return {};
  });
  if (bytes_copied != nullptr) *bytes_copied = copied;
  if (!fetched) {
    Error e = fetched.error();
    if (e.code != Errc::kIo) e.message = what + ": " + e.message;
    return std::unexpected(e);
  }
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    return fail(Errc::kIo, what + ": " + io_reason(errno, tmp));
  }
  const std::string got = sum.hex();
  if (got != source.sha256) {
    return fail(Errc::kChecksum, what + ": sha256 " + got + " does not match the pinned " +
                                     source.sha256 + "; refused, the installed file is kept");
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    return fail(Errc::kIo, what + ": renaming into place: " + io_reason(errno, dest));
  }
  guard.keep = true;
  fsync_dir(dir);
  return InstallOutcome::kInstalled;
}

InstallReport AssetInstaller::install_all(const std::vector<AssetSource>& sources) {
  InstallReport report;
  for (const auto& source : sources) {
    AssetResult r;
    r.source = source;
    r.path = path_of(source);
    const auto start = std::chrono::steady_clock::now();
    auto outcome = install(source, &r.bytes_copied);
    r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (outcome) {
      r.outcome = *outcome;
    } else {
      r.error = outcome.error();
    }
    report.assets.push_back(std::move(r));
  }
  return report;
}

}  // namespace aether::provisioner
