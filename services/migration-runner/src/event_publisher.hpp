// Where the runner announces an applied schema change.
//
// The runner only knows this interface; the real implementation publishes
// aether.evt.schema.migrated on the bus (nats_event_publisher.hpp), tests can
// record calls. publish() is called at most once per run, from the thread
// that runs the runner; implementations retry as they see fit and return an
// error only when the event is not delivered.
#pragma once

#include <string>

#include "aether/v1/schema.pb.h"
#include "errors.hpp"

namespace aether::migrate {

inline constexpr const char* kSchemaMigratedSubject = "aether.evt.schema.migrated";

class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // `msg_id` is stable for one outcome (from/to version and checksums) so a
  // retried publish is deduplicated by JetStream.
  [[nodiscard]] virtual Result<void> publish(const aether::v1::SchemaMigrated& event,
                                             const std::string& msg_id) = 0;
};

}  // namespace aether::migrate
