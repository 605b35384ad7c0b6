// The baseline: the same work done with cnats directly (no headers, no spans,
// no codecs), so the ratio shows what libs/bus costs on top.
#include <nats/nats.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "aether/bus/handles.hpp"
#include "bench.hpp"

namespace bench {
namespace {

using aether::bus::ConnPtr;
using aether::bus::MsgPtr;
using aether::bus::SubPtr;

struct Echo {
  const std::string* reply;
};

void on_request(natsConnection* nc, natsSubscription*, natsMsg* raw, void* closure) noexcept {
  MsgPtr msg(raw);
  const auto* echo = static_cast<Echo*>(closure);
  const char* reply_to = natsMsg_GetReply(msg.get());
  if (reply_to != nullptr) {
    (void)natsConnection_Publish(nc, reply_to, echo->reply->data(),
                                 static_cast<int>(echo->reply->size()));
  }
}

bool g_send_asap = false;

ConnPtr connect(const std::string& url) {
  natsOptions* raw_opts = nullptr;
  if (natsOptions_Create(&raw_opts) != NATS_OK) return nullptr;
  aether::bus::OptionsPtr opts(raw_opts);
  natsOptions_SetURL(opts.get(), url.c_str());
  natsOptions_SetSendAsap(opts.get(), g_send_asap);
  natsConnection* nc = nullptr;
  if (natsStatus s = natsConnection_Connect(&nc, opts.get()); s != NATS_OK) {
    std::fprintf(stderr, "raw connect: %s\n", natsStatus_GetText(s));
    return nullptr;
  }
  return ConnPtr(nc);
}

}  // namespace

void set_raw_send_asap(bool on) { g_send_asap = on; }

double RoundTrips::percentile_us(double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(samples.size() - 1));
  return static_cast<double>(samples[idx].count()) / 1000.0;
}

bool raw_request_reply(const std::string& url, const std::string& payload, const std::string& reply,
                       int n, RoundTrips& out) {
  auto server = connect(url);
  auto client = connect(url);
  if (!server || !client) return false;
  Echo echo{&reply};
  natsSubscription* raw_sub = nullptr;
  if (natsConnection_Subscribe(&raw_sub, server.get(), "bench.raw.rr", on_request, &echo) !=
      NATS_OK) {
    return false;
  }
  SubPtr sub(raw_sub);
  natsConnection_Flush(server.get());
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    natsMsg* raw = nullptr;
    natsStatus s = natsConnection_Request(&raw, client.get(), "bench.raw.rr", payload.data(),
                                          static_cast<int>(payload.size()), 5000);
    MsgPtr answer(raw);
    if (s != NATS_OK) {
      std::fprintf(stderr, "raw request: %s\n", natsStatus_GetText(s));
      return false;
    }
    out.add(std::chrono::steady_clock::now() - t0);
  }
  natsSubscription_Unsubscribe(sub.get());
  return true;
}

bool raw_publish(const std::string& url, const std::string& payload, int n, Nanos& elapsed) {
  auto nc = connect(url);
  if (!nc) return false;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    if (natsConnection_Publish(nc.get(), "bench.raw.pub", payload.data(),
                               static_cast<int>(payload.size())) != NATS_OK) {
      return false;
    }
  }
  if (natsConnection_FlushTimeout(nc.get(), 30000) != NATS_OK) return false;
  elapsed = std::chrono::steady_clock::now() - t0;
  return true;
}

bool raw_publish_with_headers(const std::string& url, const std::string& payload, int n,
                              Nanos& elapsed) {
  auto nc = connect(url);
  if (!nc) return false;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    natsMsg* raw = nullptr;
    if (natsMsg_Create(&raw, "bench.raw.pub", nullptr, payload.data(),
                       static_cast<int>(payload.size())) != NATS_OK) {
      return false;
    }
    MsgPtr msg(raw);
    natsMsgHeader_Set(msg.get(), "Content-Type", "application/protobuf");
    natsMsgHeader_Set(msg.get(), "Aether-Tenant", "acme");
    natsMsgHeader_Set(msg.get(), "traceparent",
                      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    if (natsConnection_PublishMsg(nc.get(), msg.get()) != NATS_OK) return false;
  }
  if (natsConnection_FlushTimeout(nc.get(), 30000) != NATS_OK) return false;
  elapsed = std::chrono::steady_clock::now() - t0;
  return true;
}

}  // namespace bench
