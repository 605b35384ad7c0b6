// Shared by the autoscaler integration tests: a real nats-server with the
// bus provisioned, a recorder of ScaleDecision events, bounded waits.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aether/bus/codec.hpp"
#include "aether/bus/connection.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/v1/scale.pb.h"
#include "aether/v1/vm.pb.h"
#include "bus_listener.hpp"

namespace aether::autoscaler::testing {

using namespace std::chrono_literals;

inline bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

struct Bus {
  devstack::NatsServer server;
  bus::Connection connection;

  static Bus start() {
    auto s = devstack::NatsServer::start();
    REQUIRE(s);
    auto c = bus::Connection::connect({.url = s->url(), .name = "itest"});
    REQUIRE(c);
    bus::ProvisionConfig pc;
    pc.workers_ttl = 4s;
    auto p = bus::provision(*c, pc);
    INFO((p ? "" : p.error().message));
    REQUIRE(p);
    return Bus{std::move(*s), std::move(*c)};
  }
};

// Every ScaleDecision on aether.evt.scale.>, with its subject.
class DecisionRecorder {
 public:
  explicit DecisionRecorder(bus::Connection& c) {
    auto l = BusListener::subscribe(
        c, "aether.evt.scale.>",
        [this](std::string_view subject, std::string_view payload,
               const std::optional<std::string>&) {
          v1::ScaleDecision d;
          if (!d.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
          std::lock_guard lock(mutex_);
          subjects_.emplace_back(subject);
          decisions_.push_back(std::move(d));
        });
    REQUIRE(l);
    listener_ = std::move(*l);
    REQUIRE(c.flush(2s));
  }
  std::vector<v1::ScaleDecision> all() const {
    std::lock_guard lock(mutex_);
    return decisions_;
  }
  std::vector<std::string> subjects() const {
    std::lock_guard lock(mutex_);
    return subjects_;
  }
  // The first decision after index `from` matching `pred`, waiting up to `timeout`.
  std::optional<v1::ScaleDecision> wait(const std::function<bool(const v1::ScaleDecision&)>& pred,
                                        std::chrono::milliseconds timeout,
                                        std::size_t from = 0) const {
    std::optional<v1::ScaleDecision> found;
    wait_for(
        [&] {
          auto ds = all();
          for (std::size_t i = from; i < ds.size(); ++i) {
            if (pred(ds[i])) {
              found = ds[i];
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }
  std::string dump() const {
    std::string s;
    for (const auto& d : all()) {
      s += v1::ScaleAction_Name(d.action()) + " " + std::to_string(d.from_nodes()) + "->" +
           std::to_string(d.to_nodes()) + " by " + d.leader() + ": " + d.reason() + "\n";
    }
    return s;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<v1::ScaleDecision> decisions_;
  std::vector<std::string> subjects_;
  std::unique_ptr<BusListener> listener_;
};

inline v1::CreateVm create_vm(const std::string& id, int vcpus = 1, int memory_mib = 256) {
  v1::CreateVm c;
  c.set_vm_id(id);
  c.set_request_id("req-" + id);
  c.set_tenant("acme");
  c.mutable_spec()->set_template_("default");
  c.mutable_spec()->set_vcpus(static_cast<std::uint32_t>(vcpus));
  c.mutable_spec()->set_memory_mib(static_cast<std::uint32_t>(memory_mib));
  return c;
}

inline void publish_create(bus::Connection& c, const v1::CreateVm& m) {
  auto ack =
      c.js_publish("aether.cmd.vm.create", m, {.tenant = m.tenant(), .msg_id = m.request_id()});
  INFO((ack ? "" : ack.error().message));
  REQUIRE(ack);
}

}  // namespace aether::autoscaler::testing
