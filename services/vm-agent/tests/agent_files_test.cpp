#include <openssl/sha.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "agent_harness.hpp"

using namespace aether;
using namespace aether::vm_agent;
using namespace aether::vm_agent::testing;

namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string hex;
  char buf[3];
  for (unsigned char c : digest) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    hex += buf;
  }
  return hex;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/vm_agent_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// FilePut carrying the first piece, then FileData pieces, the last one marked.
void put(AgentHarness& agent, std::uint64_t id, const std::string& path, const std::string& content,
         std::size_t piece, bool parents = false, std::uint32_t mode = 0) {
  v1::GuestFrame first;
  first.set_id(id);
  first.mutable_file_put()->set_path(path);
  first.mutable_file_put()->set_create_parents(parents);
  first.mutable_file_put()->set_mode(mode);
  first.mutable_file_put()->set_content(content.substr(0, piece));
  agent.send(first);
  std::size_t off = std::min(piece, content.size());
  do {
    v1::GuestFrame data;
    data.set_id(id);
    data.mutable_file_data()->set_data(content.substr(off, piece));
    off = std::min(off + piece, content.size());
    data.mutable_file_data()->set_last(off == content.size());
    agent.send(data);
  } while (off < content.size());
}

}  // namespace

TEST_CASE("a file put in chunks reads back the same with its sha256") {
  TempDir dir;
  AgentHarness agent;
  std::string content;
  for (int i = 0; i < 200'000; ++i) content += static_cast<char>(i * 7 % 251);
  const std::string path = (dir.path / "sub/dir/data.bin").string();
  put(agent, 1, path, content, 65'536, true, 0600);
  auto reply = agent.read();
  REQUIRE(reply.has_file_put_reply());
  CHECK(reply.file_put_reply().size() == content.size());
  CHECK(reply.file_put_reply().sha256() == sha256_hex(content));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  v1::GuestFrame get;
  get.set_id(2);
  get.mutable_file_get()->set_path(path);
  agent.send(get);
  std::string back;
  for (;;) {
    auto frame = agent.read();
    REQUIRE(frame.id() == 2);
    if (frame.has_file_data()) {
      back += frame.file_data().data();
      continue;
    }
    REQUIRE(frame.has_file_get_reply());
    CHECK(frame.file_get_reply().sha256() == sha256_hex(content));
    CHECK(frame.file_get_reply().mode() == 0600);
    break;
  }
  CHECK(back == content);
}

TEST_CASE("with an exec root, file paths and commands live inside it") {
  TempDir dir;
  AgentHarness agent(AgentOptions{.exec_root = dir.path.string()});
  put(agent, 1, "/inside.txt", "rooted", 100);
  REQUIRE(agent.read().has_file_put_reply());
  CHECK(std::filesystem::exists(dir.path / "inside.txt"));
  // The root has no programs, so a chrooted exec cannot find one.
  auto outcome = agent.exec(2, command({"/bin/true"}));
  REQUIRE(outcome.error);
  CHECK_THAT(outcome.error->message(), Catch::Contains("/bin/true"));
}

TEST_CASE("file errors name the path and the rule") {
  TempDir dir;
  AgentHarness agent(AgentOptions{.max_file_bytes = 1000});
  SECTION("get of a missing file") {
    v1::GuestFrame get;
    get.set_id(1);
    get.mutable_file_get()->set_path((dir.path / "missing").string());
    agent.send(get);
    auto reply = agent.read();
    REQUIRE(reply.has_error());
    CHECK(reply.error().code() == 404);
    CHECK_THAT(reply.error().message(), Catch::Contains("missing"));
  }
  SECTION("put of a relative path") {
    put(agent, 2, "relative/file", "x", 10);
    auto reply = agent.read();
    REQUIRE(reply.has_error());
    CHECK(reply.error().code() == 400);
    CHECK_THAT(reply.error().message(), Catch::Contains("absolute"));
  }
  SECTION("put of a path with ..") {
    put(agent, 6, "/tmp/../etc/x", "x", 10);
    auto reply = agent.read();
    REQUIRE(reply.has_error());
    CHECK_THAT(reply.error().message(), Catch::Contains(".."));
  }
  SECTION("put above the size limit leaves no file behind") {
    const auto path = (dir.path / "big").string();
    put(agent, 3, path, std::string(3000, 'b'), 500);
    auto reply = agent.read();
    REQUIRE(reply.has_error());
    CHECK(reply.error().code() == 413);
    CHECK_FALSE(std::filesystem::exists(path));
  }
  SECTION("get of a file above max_bytes") {
    const auto path = (dir.path / "medium").string();
    put(agent, 4, path, std::string(800, 'm'), 800);
    REQUIRE(agent.read().has_file_put_reply());
    v1::GuestFrame get;
    get.set_id(5);
    get.mutable_file_get()->set_path(path);
    get.mutable_file_get()->set_max_bytes(100);
    agent.send(get);
    auto reply = agent.read();
    REQUIRE(reply.has_error());
    CHECK(reply.error().code() == 413);
  }
  // Whatever happened, the agent still answers.
  v1::GuestFrame ping;
  ping.set_id(50);
  ping.mutable_ping();
  agent.send(ping);
  CHECK(agent.read().has_pong());
}
