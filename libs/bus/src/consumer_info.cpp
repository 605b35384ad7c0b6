#include "aether/bus/consumer_info.hpp"

#include <algorithm>

#include "status.hpp"

namespace aether::bus {

Result<ConsumerBacklog> consumer_backlog(Connection& connection, const std::string& stream,
                                         const std::string& consumer) {
  if (stream.empty() || consumer.empty()) {
    return fail(Errc::kInvalidArgument, "consumer backlog: stream and consumer must not be empty");
  }
  jsConsumerInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&raw, connection.jetstream(), stream.c_str(),
                                    consumer.c_str(), nullptr, &code);
  ConsumerInfoPtr info(raw);
  const std::string what = "reading consumer " + stream + "/" + consumer;
  if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr || code == JSConsumerNotFoundErr) {
    return fail(Errc::kNotFound, what + ": no such stream or consumer");
  }
  if (s != NATS_OK) return detail::fail_status(s, what, code);
  ConsumerBacklog out;
  out.stream = stream;
  out.consumer = consumer;
  out.pending = info->NumPending;
  out.ack_pending = static_cast<std::uint64_t>(std::max<int64_t>(0, info->NumAckPending));
  out.redelivered = static_cast<std::uint64_t>(std::max<int64_t>(0, info->NumRedelivered));
  out.waiting = static_cast<std::uint64_t>(std::max<int64_t>(0, info->NumWaiting));
  return out;
}

}  // namespace aether::bus
