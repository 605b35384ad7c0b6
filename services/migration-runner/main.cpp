// aether-migration-runner: wiring only (see src/cli.cpp for the commands).
#include <iostream>

#include "cli.hpp"
#include "nats_event_publisher.hpp"

int main(int argc, char** argv) {
  using namespace aether::migrate;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto nats = [](const Config& config) -> std::unique_ptr<EventPublisher> {
    return std::make_unique<NatsEventPublisher>(
        NatsPublisherOptions{config.nats_url, config.publish_timeout});
  };
  return run_cli(args, aether::config::process_env(), CliIo{std::cout, std::cerr}, nats);
}
