#include "fixture.hpp"

#include <thread>

namespace bus_test {

Stack start_stack(const std::string& client_name) {
  auto server = aether::devstack::NatsServer::start();
  INFO("nats-server start: " << (server ? "ok" : server.error().message));
  REQUIRE(server.has_value());
  Stack stack;
  stack.server = std::make_unique<aether::devstack::NatsServer>(std::move(*server));
  aether::bus::ConnectOptions options;
  options.url = stack.server->url();
  options.name = client_name;
  options.reconnect_wait = std::chrono::milliseconds(100);
  options.reconnect_jitter = std::chrono::milliseconds(50);
  auto conn = aether::bus::Connection::connect(options);
  INFO("connect: " << describe(conn));
  REQUIRE(conn.has_value());
  stack.bus = std::make_unique<aether::bus::Connection>(std::move(*conn));
  return stack;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace bus_test
