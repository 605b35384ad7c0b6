#include <catch2/catch.hpp>

#include "aether/digest/sha256.hpp"
#include "asset_installer.hpp"
#include "temp_dir.hpp"

using namespace aether::provisioner;
using namespace aether::provisioner::testing;

namespace {
const std::string kSum = std::string(64, 'a');
}

TEST_CASE("extra asset items: NAME=SOURCE#sha256=HEX, each part checked") {
  auto ok = parse_extra_source("firecracker=https://example.org/fc.tgz#sha256=" + kSum);
  REQUIRE(ok);
  CHECK(ok->name == "extra/firecracker");
  CHECK(ok->source == "https://example.org/fc.tgz");
  CHECK(ok->sha256 == kSum);
  CHECK(parse_extra_source("k=/srv/vmlinux#sha256=" + kSum));
  CHECK(parse_extra_source("k=file:///srv/vmlinux#sha256=" + kSum));

  auto no_pin = parse_extra_source("k=/srv/vmlinux");
  REQUIRE_FALSE(no_pin);
  CHECK_THAT(no_pin.error().message, Catch::Contains("must be NAME=SOURCE#sha256=HEX"));
  auto short_sum = parse_extra_source("k=/srv/vmlinux#sha256=abc");
  REQUIRE_FALSE(short_sum);
  CHECK_THAT(short_sum.error().message, Catch::Contains("64 lowercase hex"));
  auto http = parse_extra_source("k=http://example.org/x#sha256=" + kSum);
  REQUIRE_FALSE(http);
  CHECK_THAT(http.error().message, Catch::Contains("must be https://"));
  CHECK_FALSE(parse_extra_source("../etc=/srv/x#sha256=" + kSum));
  CHECK_FALSE(parse_extra_source("a/b=/srv/x#sha256=" + kSum));
}

TEST_CASE("the guest manifest lists every artefact, then itself, bad manifests are named") {
  TempDir dir;
  write_file(dir.path / "manifest.json",
             R"({"kernel_release": "6.1.0-27-cloud-amd64", "artefacts": {
                  "vmlinux": {"sha256": ")" +
                 kSum + R"(", "bytes": 1}}})");
  auto m = read_guest_manifest(dir.path);
  REQUIRE(m);
  REQUIRE(m->sources.size() == 2);
  CHECK(m->sources[0].name == "guest/vmlinux");
  CHECK(m->sources[0].sha256 == kSum);
  CHECK(m->sources[1].name == "guest/manifest.json");
  CHECK(m->version == m->sources[1].sha256.substr(0, 12));
  CHECK(m->kernel_release == "6.1.0-27-cloud-amd64");

  write_file(dir.path / "manifest.json", R"({"artefacts": {"vmlinux": {"sha256": "zz"}}})");
  auto bad = read_guest_manifest(dir.path);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("artefact 'vmlinux'"));
  CHECK_FALSE(read_guest_manifest(dir.path / "missing"));
}

TEST_CASE("install from file://: a good sum installs, a second run copies nothing") {
  TempDir dir;
  const std::string content(200'000, 'k');
  write_file(dir.path / "src/kernel", content);
  AssetSource source{"extra/kernel", "file://" + (dir.path / "src/kernel").string(),
                     aether::digest::sha256_hex(content)};
  AssetInstaller installer(dir.path / "assets");
  std::uint64_t copied = 0;
  auto first = installer.install(source, &copied);
  REQUIRE(first);
  CHECK(*first == InstallOutcome::kInstalled);
  CHECK(copied == content.size());
  CHECK(read_file(dir.path / "assets/extra/kernel") == content);
  copied = 0;
  auto second = installer.install(source, &copied);
  REQUIRE(second);
  CHECK(*second == InstallOutcome::kAlreadyCurrent);
  CHECK(copied == 0);
}

TEST_CASE("a source that does not verify is refused and the installed file is kept") {
  TempDir dir;
  write_file(dir.path / "src/good", "good bytes");
  write_file(dir.path / "src/evil", "evil bytes");
  AssetInstaller installer(dir.path / "assets");
  AssetSource good{"extra/kernel", (dir.path / "src/good").string(),
                   aether::digest::sha256_hex("good bytes")};
  REQUIRE(installer.install(good));
  // A new version is pinned, but the source serves other bytes.
  AssetSource evil{"extra/kernel", (dir.path / "src/evil").string(),
                   aether::digest::sha256_hex("new bytes")};
  auto refused = installer.install(evil);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kChecksum);
  CHECK_THAT(refused.error().message, Catch::Contains("does not match the pinned " + evil.sha256));
  CHECK_THAT(refused.error().message, Catch::Contains("the installed file is kept"));
  CHECK(read_file(dir.path / "assets/extra/kernel") == "good bytes");
  // No temporary file is left behind.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(dir.path / "assets/extra"))
    ++files;
  CHECK(files == 1);
  auto missing = installer.install({"extra/x", (dir.path / "nope").string(), good.sha256});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::kFetch);
  CHECK_THAT(missing.error().message, Catch::Contains("nope"));
}

TEST_CASE("templates under a root are installed as templates/<name>/, each file pinned") {
  TempDir dir;
  const std::string content = "rootfs bytes";
  write_file(dir.path / "src/python/rootfs.ext4", content);
  write_file(dir.path / "src/python/manifest.json",
             R"({"kind": "aether-template", "name": "python", "artefacts": {
                  "rootfs.ext4": {"sha256": ")" +
                 aether::digest::sha256_hex(content) + R"(", "bytes": 12}}})");
  write_file(dir.path / "src/.python.lock", "");  // build-template.sh's lock: not a template
  auto templates = read_template_manifests(dir.path / "src");
  REQUIRE(templates);
  REQUIRE(templates->size() == 1);
  const auto& sources = (*templates)[0].sources;
  REQUIRE(sources.size() == 2);
  CHECK(sources[0].name == "templates/python/rootfs.ext4");
  CHECK(sources[1].name == "templates/python/manifest.json");
  AssetInstaller installer(dir.path / "assets");
  auto report = installer.install_all(sources);
  CHECK(report.ok());
  CHECK(read_file(dir.path / "assets/templates/python/rootfs.ext4") == content);
  CHECK_FALSE(read_template_manifests(dir.path / "nothing-here"));
}
