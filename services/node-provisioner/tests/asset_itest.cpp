// Asset installs where the host gets in the way: a full disk, a read-only
// mount (real tmpfs mounts), a copy killed halfway, and https sources served
// with a CA the test makes.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <catch2/catch.hpp>

#include <thread>

#include "aether/digest/sha256.hpp"
#include "asset_installer.hpp"
#include "test_tls.hpp"

using namespace aether::provisioner;
using namespace aether::provisioner::testing;
namespace fs = std::filesystem;

namespace {
struct Tmpfs {
  fs::path dir;
  bool mounted = false;
  Tmpfs(const fs::path& where, const std::string& options) : dir(where) {
    fs::create_directories(dir);
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  void remount_read_only() {
    REQUIRE(::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0);
  }
  ~Tmpfs() {
    if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
  }
};

std::size_t entries(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}
}  // namespace

TEST_CASE("a full disk is named, the old file is kept and no temporary file is left") {
  TempDir dir;
  Tmpfs disk(dir.path / "assets", "size=128k");
  REQUIRE(disk.mounted);  // needs root, as the network tests do
  const std::string old_content = "old kernel";
  const std::string big(512 * 1024, 'x');
  write_file(dir.path / "src/small", old_content);
  write_file(dir.path / "src/big", big);
  AssetInstaller installer(dir.path / "assets");
  REQUIRE(installer.install({"extra/kernel", (dir.path / "src/small").string(),
                             aether::digest::sha256_hex(old_content)}));
  auto full = installer.install(
      {"extra/kernel", (dir.path / "src/big").string(), aether::digest::sha256_hex(big)});
  REQUIRE_FALSE(full);
  CHECK(full.error().code == Errc::kIo);
  CHECK_THAT(full.error().message, Catch::Contains("disk full writing"));
  CHECK(read_file(dir.path / "assets/extra/kernel") == old_content);
  CHECK(entries(dir.path / "assets/extra") == 1);
}

TEST_CASE("a read-only host path is named") {
  TempDir dir;
  Tmpfs disk(dir.path / "assets", "size=1m");
  REQUIRE(disk.mounted);  // needs root, as the network tests do
  disk.remount_read_only();
  write_file(dir.path / "src/k", "kernel");
  AssetInstaller installer(dir.path / "assets");
  auto refused = installer.install(
      {"extra/k", (dir.path / "src/k").string(), aether::digest::sha256_hex("kernel")});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kIo);
  CHECK_THAT(refused.error().message, Catch::Contains("read-only filesystem"));
}

TEST_CASE("a copy killed halfway leaves the old file, the next run cleans up and installs") {
  TempDir dir;
  const std::string old_content = "version 1";
  const std::string content(300'000, 'n');
  AssetInstaller installer(dir.path / "assets");
  write_file(dir.path / "src/v1", old_content);
  REQUIRE(installer.install(
      {"extra/kernel", (dir.path / "src/v1").string(), aether::digest::sha256_hex(old_content)}));

  // The source is a FIFO: the child installer reads half, then is killed.
  const fs::path fifo = dir.path / "src/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const AssetSource source{"extra/kernel", fifo.string(), aether::digest::sha256_hex(content)};
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    AssetInstaller in_child(dir.path / "assets");
    (void)in_child.install(source);
    ::_exit(0);
  }
  {
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, content.data(), content.size() / 2) ==
            static_cast<ssize_t>(content.size() / 2));
    // Wait until the child has written the half into its temporary file.
    const fs::path tmp = dir.path / ("assets/extra/.kernel.tmp-" + std::to_string(child));
    for (int i = 0; i < 500; ++i) {
      std::error_code ec;
      if (fs::file_size(tmp, ec) >= content.size() / 2) break;
      ::usleep(10'000);
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(fd);
    CHECK(fs::exists(tmp));  // the interrupted copy's leftover
  }
  CHECK(read_file(dir.path / "assets/extra/kernel") == old_content);
  CHECK(entries(dir.path / "assets/extra") == 2);

  write_file(dir.path / "src/v2", content);
  std::uint64_t copied = 0;
  auto done =
      installer.install({"extra/kernel", (dir.path / "src/v2").string(), source.sha256}, &copied);
  REQUIRE(done);
  CHECK(*done == InstallOutcome::kInstalled);
  CHECK(copied == content.size());
  CHECK(read_file(dir.path / "assets/extra/kernel") == content);
  CHECK(entries(dir.path / "assets/extra") == 1);  // the leftover is gone
}

TEST_CASE("https sources: verified against the pin, a wrong one refused, 404 named") {
  TestTls tls;
  const std::string body(100'000, 'f');
  httplib::SSLServer server(tls.server_cert.c_str(), tls.server_key.c_str());
  server.Get("/firecracker", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "application/octet-stream");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string base = "https://127.0.0.1:" + std::to_string(port);

  TempDir dir;
  AssetInstaller installer(dir.path / "assets", FetchOptions{.ca_file = tls.ca_cert.string()});
  auto ok = installer.install(
      {"extra/firecracker", base + "/firecracker", aether::digest::sha256_hex(body)});
  CHECK(ok);
  CHECK(read_file(dir.path / "assets/extra/firecracker") == body);
  auto bad = installer.install({"extra/other", base + "/firecracker", std::string(64, '0')});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::kChecksum);
  CHECK_FALSE(fs::exists(dir.path / "assets/extra/other"));
  auto missing = installer.install({"extra/gone", base + "/nope", std::string(64, '0')});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::kFetch);
  CHECK_THAT(missing.error().message, Catch::Contains("404"));
  AssetInstaller untrusting(dir.path / "assets2");
  auto untrusted =
      untrusting.install({"extra/x", base + "/firecracker", aether::digest::sha256_hex(body)});
  REQUIRE_FALSE(untrusted);
  CHECK(untrusted.error().code == Errc::kFetch);
  server.stop();
  thread.join();
}
