#include "status.hpp"

#include <fmt/format.h>

#include <string>

namespace aether::bus::detail {

Error status_error(natsStatus status, std::string_view what, jsErrCode js_code) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  std::string detail = (text != nullptr && *text != '\0') ? text : natsStatus_GetText(status);
  std::string message = fmt::format("{}: {}", what, detail);
  if (js_code != 0) message += fmt::format(" (jetstream error {})", static_cast<int>(js_code));

  Errc code = Errc::kInternal;
  switch (status) {
    case NATS_TIMEOUT:
      code = Errc::kTimeout;
      break;
    case NATS_NO_RESPONDERS:
      code = Errc::kNoResponders;
      break;
    case NATS_NOT_FOUND:
      code = Errc::kNotFound;
      break;
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NO_SERVER:
    case NATS_STALE_CONNECTION:
    case NATS_NOT_YET_CONNECTED:
    case NATS_IO_ERROR:
      code = Errc::kNotConnected;
      break;
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_QUEUE_NAME:
    case NATS_MAX_PAYLOAD:
      code = Errc::kInvalidArgument;
      break;
    default:
      break;
  }
  // JetStream answers "wrong last sequence" (10071) when a KV compare-and-set
  // loses; cnats reports it as NATS_ERR with only the text set.
  if (js_code == JSStreamWrongLastSequenceErr ||
      detail.find("wrong last sequence") != std::string::npos) {
    code = Errc::kWrongLastRevision;
  } else if (js_code == JSStreamNotFoundErr || js_code == JSConsumerNotFoundErr) {
    code = Errc::kNotFound;
  } else if (code == Errc::kInternal && (js_code != 0 || status == NATS_ERR)) {
    code = Errc::kJetStream;
  }
  return Error{code, std::move(message), 0};
}

}  // namespace aether::bus::detail
