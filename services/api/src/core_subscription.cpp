#include "core_subscription.hpp"

namespace aether::api {

std::expected<std::unique_ptr<CoreSubscription>, std::string> CoreSubscription::subscribe(
    bus::Connection& bus, const std::string& subject, Callback callback) {
  std::unique_ptr<CoreSubscription> self(new CoreSubscription(std::move(callback)));
  natsSubscription* raw = nullptr;
  const natsStatus s =
      natsConnection_Subscribe(&raw, bus.native(), subject.c_str(), on_message, self.get());
  if (s != NATS_OK) {
    return std::unexpected("subscribe " + subject + ": " + natsStatus_GetText(s));
  }
  self->sub_.reset(raw);
  // Nothing is dropped as a slow consumer's would be.
  (void)natsSubscription_SetPendingLimits(raw, -1, -1);
  return self;
}

void CoreSubscription::drain(std::chrono::milliseconds timeout) {
  if (!sub_) return;
  if (natsSubscription_Drain(sub_.get()) == NATS_OK) {
    (void)natsSubscription_WaitForDrainCompletion(sub_.get(), timeout.count());
  } else {
    (void)natsSubscription_Unsubscribe(sub_.get());
  }
  sub_.reset();
}

void CoreSubscription::on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
  bus::MsgPtr owned(msg);
  const char* data = natsMsg_GetData(msg);
  static_cast<CoreSubscription*>(self)->callback_(
      natsMsg_GetSubject(msg),
      std::string_view(data == nullptr ? "" : data,
                       static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
}

}  // namespace aether::api
