#include <csignal>

#include "agent_harness.hpp"

using namespace aether;
using namespace aether::vm_agent;
using namespace aether::vm_agent::testing;

TEST_CASE("agent says hello and answers ping") {
  AgentHarness agent(AgentOptions{.version = "1.2.3"});
  REQUIRE(agent.hello().has_hello());
  CHECK(agent.hello().hello().agent_version() == "1.2.3");
  CHECK_FALSE(agent.hello().hello().kernel_release().empty());
  v1::GuestFrame ping;
  ping.set_id(9);
  ping.mutable_ping()->set_nonce(12345);
  agent.send(ping);
  auto pong = agent.read();
  CHECK(pong.id() == 9);
  CHECK(pong.pong().nonce() == 12345);
}

TEST_CASE("exec streams output and reports the exit code and a child span") {
  AgentHarness agent;
  auto request = command({"/bin/echo", "hello", "guest"});
  request.mutable_trace()->set_traceparent(
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  auto outcome = agent.exec(1, request);
  REQUIRE_FALSE(outcome.error);
  CHECK(outcome.out == "hello guest\n");
  CHECK(outcome.reply.exit_code() == 0);
  CHECK(outcome.reply.exec_id() == 1);
  const auto& span = outcome.reply.guest_span();
  CHECK(span.name() == "vm-agent exec");
  CHECK(span.trace_id() == "0af7651916cd43dd8448eb211c80319c");
  CHECK(span.parent_span_id() == "b7ad6b7169203331");
  CHECK(span.span_id().size() == 16);
  CHECK(span.attributes().at("process.command") == "/bin/echo");
  CHECK_FALSE(span.error());
}

TEST_CASE("exec feeds stdin and reports a non-zero exit, env and cwd") {
  AgentHarness agent;
  auto request = command({"sh", "-c", "cat; echo \"$GREETING $(pwd)\" >&2; exit 3"});
  request.set_stdin("from stdin");
  (*request.mutable_env())["GREETING"] = "hi";
  request.set_cwd("/tmp");
  auto outcome = agent.exec(2, request);
  REQUIRE_FALSE(outcome.error);
  CHECK(outcome.out == "from stdin");
  CHECK(outcome.err == "hi /tmp\n");
  CHECK(outcome.reply.exit_code() == 3);
  CHECK(outcome.reply.signal() == 0);
  CHECK(outcome.reply.guest_span().error());
}

TEST_CASE("exec past its timeout is killed with its process group") {
  AgentHarness agent;
  auto request = command({"sh", "-c", "sleep 30 & sleep 30"});
  request.set_timeout_ms(300);
  auto outcome = agent.exec(3, request);
  REQUIRE_FALSE(outcome.error);
  CHECK(outcome.reply.timed_out());
  CHECK(outcome.reply.exit_code() == -1);
  CHECK(outcome.reply.signal() == SIGKILL);
}

TEST_CASE("exec kill stops a running command") {
  AgentHarness agent;
  v1::GuestFrame frame;
  frame.set_id(4);
  *frame.mutable_exec() = command({"sleep", "30"});
  frame.mutable_exec()->set_exec_id(44);
  agent.send(frame);
  v1::GuestFrame kill;
  kill.set_id(5);
  kill.mutable_exec_kill()->set_exec_id(44);
  kill.mutable_exec_kill()->set_signal(SIGTERM);
  agent.send(kill);
  auto outcome = agent.collect(4);
  CHECK(outcome.reply.signal() == SIGTERM);
  CHECK_FALSE(outcome.reply.timed_out());
}

TEST_CASE("exec streams a large output in order") {
  AgentHarness agent;
  auto outcome = agent.exec(6, command({"head", "-c", "3000000", "/dev/zero"}));
  REQUIRE_FALSE(outcome.error);
  CHECK(outcome.out.size() == 3'000'000);
  CHECK(outcome.seqs.size() > 1);
  for (std::size_t i = 0; i < outcome.seqs.size(); ++i) CHECK(outcome.seqs[i] == i);
}

TEST_CASE("several execs run at once") {
  AgentHarness agent;
  for (std::uint64_t id : {10, 11}) {
    v1::GuestFrame frame;
    frame.set_id(id);
    *frame.mutable_exec() = command({"sh", "-c", "sleep 0.3; echo " + std::to_string(id)});
    frame.mutable_exec()->set_exec_id(id);
    agent.send(frame);
  }
  std::map<std::uint64_t, std::string> out;
  int replies = 0;
  while (replies < 2) {
    auto frame = agent.read();
    if (frame.has_exec_output()) out[frame.id()] += frame.exec_output().data();
    if (frame.has_exec_reply()) ++replies;
  }
  CHECK(out[10] == "10\n");
  CHECK(out[11] == "11\n");
}

TEST_CASE("bad requests get an error reply and the agent keeps serving") {
  AgentHarness agent;
  SECTION("empty argv") {
    auto outcome = agent.exec(20, v1::ExecRequest{});
    REQUIRE(outcome.error);
    CHECK(outcome.error->code() == 400);
    CHECK_THAT(outcome.error->message(), Catch::Contains("argv"));
  }
  SECTION("a program that does not exist") {
    auto outcome = agent.exec(21, command({"/no/such/program"}));
    REQUIRE(outcome.error);
    CHECK_THAT(outcome.error->message(), Catch::Contains("/no/such/program"));
  }
  SECTION("a relative cwd") {
    auto request = command({"true"});
    request.set_cwd("tmp");
    auto outcome = agent.exec(22, request);
    REQUIRE(outcome.error);
    CHECK_THAT(outcome.error->message(), Catch::Contains("cwd"));
  }
  SECTION("a frame without a body") {
    v1::GuestFrame empty;
    empty.set_id(23);
    agent.send(empty);
    auto reply = agent.read();
    CHECK(reply.id() == 23);
    REQUIRE(reply.has_error());
  }
  SECTION("a kill for an unknown exec") {
    v1::GuestFrame kill;
    kill.set_id(24);
    kill.mutable_exec_kill()->set_exec_id(999);
    agent.send(kill);
    auto reply = agent.read();
    REQUIRE(reply.has_error());
    CHECK(reply.error().code() == 404);
  }
  v1::GuestFrame ping;
  ping.set_id(30);
  ping.mutable_ping()->set_nonce(1);
  agent.send(ping);
  CHECK(agent.read().has_pong());
}

TEST_CASE("a broken frame stream ends serving with an error, not a crash") {
  AgentHarness agent;
  agent.send_raw(std::string("\x7f\x00\x00\x00", 4));
  auto reply = agent.read();
  REQUIRE(reply.has_error());
  CHECK_THAT(reply.error().message(), Catch::Contains("above the limit"));
  CHECK(agent.join() == ServeEnd::kChannelBroken);
}

TEST_CASE("shutdown is answered and ends serving") {
  AgentHarness agent;
  v1::GuestFrame frame;
  frame.set_id(40);
  frame.mutable_shutdown();
  agent.send(frame);
  CHECK(agent.read().has_shutdown_reply());
  CHECK(agent.join() == ServeEnd::kShutdown);
}

TEST_CASE("hostile modes misbehave as asked") {
  SECTION("oversized answers the first request with a 2 GiB frame header") {
    AgentHarness agent(AgentOptions{.mode = "oversized"});
    CHECK(agent.hello().hello().mode() == "oversized");
    v1::GuestFrame ping;
    ping.set_id(1);
    ping.mutable_ping();
    agent.send(ping);
    auto reply = agent.try_read();
    REQUIRE_FALSE(reply);
    CHECK(reply.error().code == guest_proto::Errc::kOversized);
  }
  SECTION("garbage sends bytes that are not a frame instead of hello") {
    AgentHarness agent(AgentOptions{.mode = "garbage"}, false);
    auto reply = agent.try_read();
    REQUIRE_FALSE(reply);
    CHECK(reply.error().code == guest_proto::Errc::kMalformed);
  }
}
