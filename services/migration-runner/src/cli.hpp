// The command line of aether-migration-runner: parses flags over the
// environment, runs one command through Runner, prints the result, and
// returns the process exit code (errors.hpp). main() only forwards to it;
// tests call it in-process.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "config.hpp"
#include "event_publisher.hpp"

namespace aether::migrate {

// Builds the publisher for a run (it should connect lazily: a no-op `up`
// must not need NATS). Null factory: publishing unavailable in this build.
using PublisherFactory = std::function<std::unique_ptr<EventPublisher>(const Config&)>;

struct CliIo {
  std::ostream& out;
  std::ostream& err;
};

[[nodiscard]] int run_cli(const std::vector<std::string>& args, const config::EnvLookup& env,
                          const CliIo& io, const PublisherFactory& publisher_factory);

}  // namespace aether::migrate
