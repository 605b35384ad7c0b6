// A real nats-server (devstack) and a bus Connection to it, per test case.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "aether/bus/bus.hpp"
#include "aether/devstack/nats_server.hpp"

namespace bus_test {

struct Stack {
  std::unique_ptr<aether::devstack::NatsServer> server;
  std::unique_ptr<aether::bus::Connection> bus;
};

// Starts the server and connects (REQUIREs both).
Stack start_stack(const std::string& client_name = "bus-itest");

// Polls `done` every 50 ms until it holds or `limit` passes.
bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(10));

// Describes a failed Result for test output.
template <class T>
std::string describe(const aether::bus::Result<T>& r) {
  if (r) return "ok";
  return std::string(aether::bus::to_string(r.error().code)) + ": " + r.error().message;
}

}  // namespace bus_test
