// NatsCluster: three real nats-server processes with routes; a 3-replica
// stream survives one node's crash with nothing lost and nothing doubled.
#include <google/protobuf/wrappers.pb.h>
#include <nats/nats.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "aether/bus/connection.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/bus/pull.hpp"
#include "aether/devstack/nats_cluster.hpp"
#include "aether/devstack/net.hpp"
#include "aether/process/process.hpp"

using aether::devstack::Errc;
using aether::devstack::NatsCluster;
namespace bus = aether::bus;
using namespace std::chrono_literals;

namespace {

google::protobuf::StringValue text(const std::string& value) {
  google::protobuf::StringValue v;
  v.set_value(value);
  return v;
}

// Publishes with a message id, retrying while the cluster elects a new
// leader: a retry of an already stored message is a duplicate, not a copy.
void publish(bus::Connection& c, int i) {
  const std::string id = "m-" + std::to_string(i);
  std::string last_error;
  for (int attempt = 0; attempt < 60; ++attempt) {
    auto ack = c.js_publish("cluster.itest", text(id), {.msg_id = id, .timeout = 2s});
    if (ack) return;
    last_error = ack.error().message;
    std::this_thread::sleep_for(250ms);
  }
  FAIL("publish " << id << " never acknowledged: " << last_error);
}

// The client port the connection is on now.
int connected_port(bus::Connection& c) {
  char url[256] = {};
  REQUIRE(natsConnection_GetConnectedUrl(c.native(), url, sizeof url) == NATS_OK);
  const std::string text(url);
  return std::stoi(text.substr(text.rfind(':') + 1));
}

}  // namespace

TEST_CASE("NatsCluster: a 3-replica stream loses and doubles nothing when a node dies",
          "[nats-cluster]") {
  auto cluster = NatsCluster::start();
  INFO((cluster ? std::string() : cluster.error().message));
  REQUIRE(cluster.has_value());
  REQUIRE(cluster->size() == 3);
  CHECK(cluster->urls() ==
        cluster->url_list()[0] + "," + cluster->url_list()[1] + "," + cluster->url_list()[2]);

  auto c = bus::Connection::connect({.url = cluster->urls(), .name = "cluster-itest"});
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c);
  bus::StreamConfig stream{.name = "CLUSTER_ITEST", .subjects = {"cluster.itest"}, .replicas = 3};
  auto created = bus::ensure_stream(*c, stream);
  INFO((created ? std::string() : created.error().message));
  REQUIRE(created);
  auto consumer = bus::ensure_consumer(
      *c, {.stream = "CLUSTER_ITEST", .durable = "reader", .filter_subject = "cluster.itest"});
  REQUIRE(consumer);

  for (int i = 0; i < 10; ++i) publish(*c, i);
  // Kill the node the client is connected to (it has to fail over), then publish more.
  const int port = connected_port(*c);
  std::size_t victim = cluster->size();
  for (std::size_t i = 0; i < cluster->size(); ++i) {
    if (cluster->node(i).port() == port) victim = i;
  }
  REQUIRE(victim < cluster->size());
  const pid_t pid = cluster->node(victim).pid();
  REQUIRE(cluster->kill_node(victim));
  CHECK_FALSE(aether::process::pid_alive(pid));
  CHECK_FALSE(aether::devstack::tcp_port_open(cluster->node(victim).port()));
  for (int i = 10; i < 20; ++i) publish(*c, i);
  // Again an earlier id: JetStream drops the repeat.
  auto again = c->js_publish("cluster.itest", text("m-3"), {.msg_id = "m-3", .timeout = 5s});
  REQUIRE(again);
  CHECK(again->duplicate);

  auto back = cluster->start_node(victim);
  INFO((back ? std::string() : back.error().message));
  REQUIRE(back);
  CHECK(cluster->node(victim).pid() != pid);

  auto reader = bus::PullConsumer::bind(*c, "CLUSTER_ITEST", "reader");
  REQUIRE(reader);
  std::map<std::string, int> seen;
  for (int round = 0; round < 40 && seen.size() < 20; ++round) {
    auto batch = reader->fetch(20, 1s);
    if (!batch) continue;  // a leader change: ask again
    for (auto& msg : *batch) {
      google::protobuf::StringValue v;
      REQUIRE(msg.decode(v));
      ++seen[v.value()];
      REQUIRE(msg.ack());
    }
  }
  CHECK(seen.size() == 20);
  for (const auto& [id, count] : seen) {
    INFO(id);
    CHECK(count == 1);
  }
  auto more = reader->fetch(5, 1s);
  CHECK((!more || more->empty()));  // nothing beyond the 20
}

TEST_CASE("NatsCluster names bad options and bad node indexes", "[nats-cluster]") {
  auto bad = NatsCluster::start({.size = 0});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::kInvalidArgument);
  CHECK_THAT(bad.error().message, Catch::Contains("NatsClusterOptions::size"));

  auto one = NatsCluster::start({.size = 1});
  INFO((one ? std::string() : one.error().message));
  REQUIRE(one);
  auto out = one->kill_node(3);
  REQUIRE_FALSE(out);
  CHECK_THAT(out.error().message, Catch::Contains("node 3 does not exist"));
}

TEST_CASE("A NATS URL list with an empty item is refused, naming it", "[nats-cluster]") {
  auto c = bus::Connection::connect({.url = "nats://127.0.0.1:1,,nats://127.0.0.1:2"});
  REQUIRE_FALSE(c);
  CHECK_THAT(c.error().message, Catch::Contains("empty item"));
}

namespace {

// The replica count of stream `name`, read with cnats.
int stream_replicas(bus::Connection& c, const char* name) {
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, c.native(), nullptr) == NATS_OK);
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetStreamInfo(&info, js, name, nullptr, &code);
  jsCtx_Destroy(js);
  INFO("stream " << name << ": " << natsStatus_GetText(s) << " (" << code << ")");
  REQUIRE(s == NATS_OK);
  const int replicas = static_cast<int>(info->Config->Replicas);
  jsStreamInfo_Destroy(info);
  return replicas;
}

}  // namespace

TEST_CASE("NatsCluster: the bus contract provisioned with 3 replicas, an R1 stream brought to R3",
          "[nats-cluster]") {
  auto cluster = NatsCluster::start();
  INFO((cluster ? std::string() : cluster.error().message));
  REQUIRE(cluster.has_value());
  auto c = bus::Connection::connect({.url = cluster->urls(), .name = "cluster-provision"});
  REQUIRE(c);
  // A service that provisioned with the default (1) first, as a single-server
  // deployment moved onto a cluster would have.
  auto single = bus::provision(*c);
  INFO((single ? std::string() : single.error().message));
  REQUIRE(single);
  CHECK(stream_replicas(*c, "AETHER_CMDS") == 1);

  bus::ProvisionConfig three;
  three.replicas = 3;
  auto report = bus::provision(*c, three);
  INFO((report ? std::string() : report.error().message));
  REQUIRE(report);
  CHECK(report->changed());
  for (const char* name :
       {"AETHER_CMDS", "AETHER_EVENTS", "KV_aether_workers", "KV_aether_leases"}) {
    CHECK(stream_replicas(*c, name) == 3);
  }
  // Provisioning again with the same value changes nothing.
  auto again = bus::provision(*c, three);
  REQUIRE(again);
  CHECK_FALSE(again->changed());
}
