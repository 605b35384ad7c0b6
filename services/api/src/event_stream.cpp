#include "event_stream.hpp"

#include <nats/nats.h>

#include <charconv>
#include <memory>

#include "aether/bus/codec.hpp"
#include "aether/bus/headers.hpp"
#include "aether/rest/problem.hpp"
#include "aether/v1/vm.pb.h"
#include "vm_json.hpp"

namespace aether::api {

using rest::Problem;
using rest::Response;

namespace {

struct SubscriptionDeleter {
  void operator()(natsSubscription* s) const {
    natsSubscription_Unsubscribe(s);
    natsSubscription_Destroy(s);
  }
};
struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
struct MetaDeleter {
  void operator()(jsMsgMetaData* m) const { jsMsgMetaData_Destroy(m); }
};
using SubscriptionPtr = std::unique_ptr<natsSubscription, SubscriptionDeleter>;

}  // namespace

Response EventStream::open(rest::Request& req, const Principal& who) {
  std::uint64_t after = 0;
  const auto last = req.header("Last-Event-ID");
  if (last) {
    auto [end, ec] = std::from_chars(last->data(), last->data() + last->size(), after);
    if (ec != std::errc() || end != last->data() + last->size()) {
      return Problem::bad_request("Last-Event-ID must be a stream sequence (digits)",
                                  {{"Last-Event-ID", "must be digits"}})
          .response();
    }
  }
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = "AETHER_EVENTS";
  options.Ordered = true;
  options.Config.DeliverPolicy = last ? js_DeliverByStartSequence : js_DeliverNew;
  options.Config.OptStartSeq = after + 1;
  natsSubscription* raw = nullptr;
  jsErrCode js_error{};
  const natsStatus s = js_SubscribeSync(&raw, deps_.bus.jetstream(), "aether.evt.vm.>", nullptr,
                                        &options, &js_error);
  if (s != NATS_OK) {
    return Problem::unavailable(std::string("cannot read AETHER_EVENTS: ") + natsStatus_GetText(s),
                                2)
        .response();
  }
  auto sub = std::make_shared<SubscriptionPtr>(raw);
  const std::string tenant = who.tenant_id;
  const auto heartbeat = heartbeat_;
  auto response = Response::streaming(
      200, "text/event-stream", [sub, tenant, heartbeat](rest::StreamWriter& out) {
        auto last_write = std::chrono::steady_clock::now();
        if (!out.write(": aether events\n\n")) return;
        while (!out.stopping()) {
          natsMsg* got = nullptr;
          const natsStatus n = natsSubscription_NextMsg(&got, sub->get(), 500);
          if (n == NATS_TIMEOUT) {
            if (std::chrono::steady_clock::now() - last_write >= heartbeat) {
              if (!out.write(": keepalive\n\n")) return;
              last_write = std::chrono::steady_clock::now();
            }
            continue;
          }
          if (n != NATS_OK) {
            (void)out.write("event: error\ndata: {\"detail\":\"event stream interrupted\"}\n\n");
            return;
          }
          std::unique_ptr<natsMsg, MsgDeleter> msg(got);
          jsMsgMetaData* meta_raw = nullptr;
          if (natsMsg_GetMetaData(&meta_raw, msg.get()) != NATS_OK) continue;
          std::unique_ptr<jsMsgMetaData, MetaDeleter> meta(meta_raw);
          const auto headers = bus::read_headers(msg.get());
          auto type = bus::parse_content_type(headers.get(bus::kContentTypeHeader));
          if (!type) continue;
          v1::VmEvent event;
          const std::string_view data(natsMsg_GetData(msg.get()),
                                      static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())));
          if (!bus::decode(data, *type, event)) continue;  // the projector counts undecodable ones
          const auto event_tenant = event.tenant().empty()
                                        ? headers.get(bus::kTenantHeader).value_or("")
                                        : event.tenant();
          if (event_tenant != tenant) continue;
          const auto seq = static_cast<std::int64_t>(meta->Sequence.Stream);
          const auto json = event_to_json(seq, event);
          if (!json) continue;  // not projected either (no id, no known state)
          const std::string frame =
              "id: " + std::to_string(seq) + "\nevent: vm\ndata: " + json->dump() + "\n\n";
          if (!out.write(frame)) return;
          last_write = std::chrono::steady_clock::now();
        }
      });
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("X-Accel-Buffering", "no");
  return response;
}

}  // namespace aether::api
