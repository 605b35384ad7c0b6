// NatsServer against the real nats-server binary, checked with cnats.
#include <nats/nats.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "aether/devstack/nats_server.hpp"
#include "aether/devstack/net.hpp"
#include "aether/process/process.hpp"

using aether::devstack::Errc;
using aether::devstack::NatsServer;

namespace {

struct ConnectionDeleter {
  void operator()(natsConnection* c) const { natsConnection_Destroy(c); }
};
struct JsDeleter {
  void operator()(jsCtx* js) const { jsCtx_Destroy(js); }
};
struct StreamInfoDeleter {
  void operator()(jsStreamInfo* si) const { jsStreamInfo_Destroy(si); }
};
struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
struct SubDeleter {
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
using Connection = std::unique_ptr<natsConnection, ConnectionDeleter>;

Connection connect(const std::string& url) {
  natsConnection* conn = nullptr;
  natsStatus s = natsConnection_ConnectTo(&conn, url.c_str());
  INFO("natsConnection_ConnectTo(" << url << "): " << natsStatus_GetText(s));
  REQUIRE(s == NATS_OK);
  return Connection(conn);
}

std::unique_ptr<jsCtx, JsDeleter> jetstream(natsConnection* conn) {
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, conn, nullptr) == NATS_OK);
  return std::unique_ptr<jsCtx, JsDeleter>(js);
}

}  // namespace

TEST_CASE("NatsServer starts and carries messages", "[nats]") {
  auto server = NatsServer::start();
  REQUIRE(server.has_value());
  CHECK(server->url() == "nats://127.0.0.1:" + std::to_string(server->port()));
  CHECK(server->port() != server->monitor_port());

  auto conn = connect(server->url());
  natsSubscription* raw_sub = nullptr;
  REQUIRE(natsConnection_SubscribeSync(&raw_sub, conn.get(), "devstack.test") == NATS_OK);
  std::unique_ptr<natsSubscription, SubDeleter> sub(raw_sub);
  REQUIRE(natsConnection_PublishString(conn.get(), "devstack.test", "hello") == NATS_OK);
  natsMsg* raw_msg = nullptr;
  REQUIRE(natsSubscription_NextMsg(&raw_msg, sub.get(), 5000) == NATS_OK);
  std::unique_ptr<natsMsg, MsgDeleter> msg(raw_msg);
  CHECK(std::string(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get())) == "hello");
}

TEST_CASE("NatsServer restart keeps the port and persisted streams", "[nats]") {
  auto server = NatsServer::start();
  REQUIRE(server.has_value());
  const int port = server->port();
  {
    auto conn = connect(server->url());
    auto js = jetstream(conn.get());
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "DEVSTACK_TEST";
    const char* subjects[] = {"devstack.persist"};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    REQUIRE(js_AddStream(nullptr, js.get(), &cfg, nullptr, &jerr) == NATS_OK);
    REQUIRE(js_Publish(nullptr, js.get(), "devstack.persist", "kept", 4, nullptr, &jerr) ==
            NATS_OK);
  }
  auto restarted = server->restart();
  INFO((restarted ? std::string() : restarted.error().message));
  REQUIRE(restarted.has_value());
  CHECK(server->port() == port);

  auto conn = connect(server->url());
  auto js = jetstream(conn.get());
  jsStreamInfo* raw_info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  REQUIRE(js_GetStreamInfo(&raw_info, js.get(), "DEVSTACK_TEST", nullptr, &jerr) == NATS_OK);
  std::unique_ptr<jsStreamInfo, StreamInfoDeleter> info(raw_info);
  CHECK(info->State.Msgs == 1);
}

TEST_CASE("Two NatsServers run at once on different ports", "[nats]") {
  auto a = NatsServer::start();
  auto b = NatsServer::start();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->port() != b->port());
  CHECK(a->state_dir() != b->state_dir());
  connect(a->url());
  connect(b->url());
}

TEST_CASE("NatsServer stop leaves no process and destruction removes its temp dir", "[nats]") {
  std::filesystem::path dir;
  pid_t pid = 0;
  int port = 0;
  {
    auto server = NatsServer::start();
    REQUIRE(server.has_value());
    dir = server->state_dir();
    pid = server->pid();
    port = server->port();
    REQUIRE(aether::process::pid_alive(pid));
    REQUIRE(server->stop().has_value());
    CHECK_FALSE(aether::process::pid_alive(pid));
    CHECK_FALSE(aether::devstack::tcp_port_open(port));
    CHECK(std::filesystem::exists(dir));
  }
  CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("NatsServer reports a taken port with the server's log", "[nats]") {
  auto first = NatsServer::start();
  REQUIRE(first.has_value());
  NatsServer::Options options;
  options.port = first->port();
  options.start_timeout = std::chrono::seconds(10);
  auto second = NatsServer::start(options);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code == Errc::kStartFailed);
  CHECK_THAT(second.error().message, Catch::Contains("address already in use"));
}

TEST_CASE("NatsServer rejects bad options by name", "[nats]") {
  NatsServer::Options bad_port;
  bad_port.port = 70000;
  auto a = NatsServer::start(bad_port);
  REQUIRE_FALSE(a.has_value());
  CHECK(a.error().code == Errc::kInvalidArgument);
  CHECK_THAT(a.error().message, Catch::Contains("NatsServer::Options::port"));

  NatsServer::Options bad_binary;
  bad_binary.binary = "/nonexistent/nats-server";
  auto b = NatsServer::start(bad_binary);
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().code == Errc::kNotFound);
}
