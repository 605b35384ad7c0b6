// The container image's env, workdir and user as exec defaults.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "agent_harness.hpp"
#include "image_defaults.hpp"

using namespace aether::vm_agent;
using namespace aether::vm_agent::testing;

TEST_CASE("image.conf is parsed; bad lines are named and skipped") {
  std::vector<std::string> problems;
  const auto d = parse_image_defaults(
      "# written by build-template.sh\n"
      "env PATH=/opt/bin:/usr/bin\n"
      "env GREETING=a=b\n"
      "workdir /srv/app\n"
      "user 1000 1001\n"
      "groups 1001,27\n"
      "home /home/app\n"
      "env =nokey\n"
      "workdir relative\n"
      "user app\n"
      "groups 1,x\n"
      "colour blue\n",
      problems);
  CHECK(d.env.at("PATH") == "/opt/bin:/usr/bin");
  CHECK(d.env.at("GREETING") == "a=b");
  CHECK(d.workdir == "/srv/app");
  REQUIRE(d.uid);
  CHECK(*d.uid == 1000);
  CHECK(d.gid == 1001);
  CHECK(d.groups == std::vector<gid_t>{1001, 27});
  CHECK(d.home == "/home/app");
  REQUIRE(problems.size() == 5);
  CHECK(problems[0] == "line 8: env needs KEY=VALUE, got '=nokey'");
  CHECK(problems[1] == "line 9: workdir must be an absolute path, got 'relative'");
  CHECK(problems[2] == "line 10: user needs 'UID GID' (numbers), got 'app'");
  CHECK(problems[3] == "line 11: groups needs numbers separated by ',', got '1,x'");
  CHECK(problems[4] == "line 12: unknown setting 'colour'");
}

TEST_CASE("no image.conf: no defaults") {
  std::vector<std::string> problems;
  CHECK_FALSE(load_image_defaults("/nonexistent-root", problems));
  CHECK(problems.empty());
}

TEST_CASE("exec defaults to the image's env and workdir; the request overrides them") {
  ImageDefaults d;
  d.env = {{"GREETING", "hello"}, {"SHADOWED", "image"}};
  d.workdir = "/tmp";
  d.home = "/home/app";
  AgentOptions options;
  options.image_defaults = d;
  AgentHarness agent(options);

  auto plain = agent.exec(1, command({"/bin/sh", "-c", "echo $GREETING $SHADOWED $HOME; pwd"}));
  REQUIRE_FALSE(plain.error);
  CHECK(plain.out == "hello image /home/app\n/tmp\n");

  auto request = command({"/bin/sh", "-c", "echo $SHADOWED; pwd"});
  (*request.mutable_env())["SHADOWED"] = "request";
  request.set_cwd("/");
  auto overridden = agent.exec(2, request);
  REQUIRE_FALSE(overridden.error);
  CHECK(overridden.out == "request\n/\n");
}

TEST_CASE("exec runs as the image's user") {
  if (::getuid() != 0) {
    WARN("not root: cannot switch users, skipped");
    return;
  }
  ImageDefaults d;
  d.uid = 65534;
  d.gid = 65534;
  d.groups = {65534};
  AgentOptions options;
  options.image_defaults = d;
  AgentHarness agent(options);
  auto ids = agent.exec(1, command({"/bin/sh", "-c", "id -u; id -g; id -G"}));
  REQUIRE_FALSE(ids.error);
  CHECK(ids.out == "65534\n65534\n65534\n");
}
