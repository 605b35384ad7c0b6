#include "bus_listener.hpp"

#include <spdlog/spdlog.h>

namespace aether::autoscaler {

Result<std::unique_ptr<BusListener>> BusListener::subscribe(bus::Connection& connection,
                                                            const std::string& subject,
                                                            Callback callback) {
  std::unique_ptr<BusListener> l(new BusListener(connection, std::move(callback)));
  natsSubscription* raw = nullptr;
  natsStatus s = natsConnection_Subscribe(&raw, connection.native(), subject.c_str(),
                                          &BusListener::on_message, l.get());
  if (s != NATS_OK) {
    return fail(Errc::kBus, "subscribing to " + subject + ": " + natsStatus_GetText(s));
  }
  l->sub_.reset(raw);
  return l;
}

BusListener::~BusListener() {
  if (!sub_) return;
  // Drain, then wait: no callback runs once this returns.
  if (natsSubscription_Drain(sub_.get()) == NATS_OK) {
    (void)natsSubscription_WaitForDrainCompletion(sub_.get(), 5000);
  } else {
    (void)natsSubscription_Unsubscribe(sub_.get());
  }
}

void BusListener::on_message(natsConnection*, natsSubscription*, natsMsg* raw, void* self) {
  bus::MsgPtr msg(raw);  // owned from the first line
  auto* l = static_cast<BusListener*>(self);
  const char* ct = nullptr;
  std::optional<std::string> content_type;
  if (natsMsgHeader_Get(msg.get(), "Content-Type", &ct) == NATS_OK && ct != nullptr) {
    content_type = ct;
  }
  const char* data = natsMsg_GetData(msg.get());
  std::string_view payload(data != nullptr ? data : "",
                           static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())));
  try {
    l->callback_(natsMsg_GetSubject(msg.get()), payload, content_type);
  } catch (const std::exception& e) {
    spdlog::error("autoscaler: listener callback threw: {}", e.what());
  }
}

}  // namespace aether::autoscaler
