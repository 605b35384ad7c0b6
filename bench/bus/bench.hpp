// Shared pieces of the bus benchmark.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace bench {

using Nanos = std::chrono::nanoseconds;

struct RoundTrips {
  std::vector<Nanos> samples;
  void add(Nanos d) { samples.push_back(d); }
  [[nodiscard]] double percentile_us(double p);  // sorts
};

// Whether raw connections write each message at once (cnats SendAsap), to
// match libs/bus' ConnectOptions::send_asap in the same run.
void set_raw_send_asap(bool on);

// Raw cnats: a responder echoing a fixed reply, and a client doing `n`
// requests with `payload`; appends each round trip to `out`. Returns false
// (after printing why) on any failure.
bool raw_request_reply(const std::string& url, const std::string& payload, const std::string& reply,
                       int n, RoundTrips& out);

// Raw cnats: publish `n` messages of `payload`, then flush; returns elapsed.
bool raw_publish(const std::string& url, const std::string& payload, int n, Nanos& elapsed);

// Raw cnats with the same three headers libs/bus sends (Content-Type,
// Aether-Tenant, traceparent): separates cnats' header cost from ours.
bool raw_publish_with_headers(const std::string& url, const std::string& payload, int n,
                              Nanos& elapsed);

}  // namespace bench
