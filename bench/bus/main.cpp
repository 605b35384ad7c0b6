// aether-bench-bus: request-reply round trip (p50, p99) and publish throughput
// through libs/bus, with spans created and propagated, against raw cnats doing
// the same on the same nats-server in the same run. Prints both and the ratio.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <aether/trace/exporter.hpp>
#include <aether/trace/trace.hpp>
#include <cstdio>

#include "aether/bus/bus.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/v1/vm.pb.h"
#include "bench.hpp"

using namespace aether;
using namespace std::chrono_literals;

namespace {

v1::CreateVm sample_request() {
  v1::CreateVm m;
  m.set_vm_id("0190f3a0-6f1e-7c3a-9b7e-2d3c4b5a6978");
  m.set_tenant("acme");
  m.set_request_id("req-0190f3a0-6f1e-7c3a");
  m.mutable_spec()->set_template_("default");
  m.mutable_spec()->set_vcpus(2);
  m.mutable_spec()->set_memory_mib(512);
  return m;
}

v1::VmOpReply sample_reply() {
  v1::VmOpReply r;
  r.set_vm_id("0190f3a0-6f1e-7c3a-9b7e-2d3c4b5a6978");
  r.set_state(v1::VM_STATE_PENDING);
  return r;
}

bool bus_request_reply(bus::Connection& client, int n, bench::RoundTrips& out) {
  const auto request = sample_request();
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    // Each round trip is one trace: a root span, the client span inside
    // request(), and the server span on the responder.
    trace::Span root("bench request", trace::SpanKind::kInternal, std::nullopt);
    auto scope = root.activate();
    auto reply = client.request<v1::VmOpReply>("bench.bus.rr", request, {.timeout = 5s});
    if (!reply) {
      std::fprintf(stderr, "bus request: %s\n", reply.error().message.c_str());
      return false;
    }
    out.add(std::chrono::steady_clock::now() - t0);
  }
  return true;
}

bool bus_publish(const std::string& url, bool send_asap, int n, bench::Nanos& elapsed) {
  // A fresh connection per round, as the raw side does.
  auto connected =
      bus::Connection::connect({.url = url, .name = "bench-pub", .send_asap = send_asap});
  if (!connected) return false;
  bus::Connection& conn = *connected;
  const auto message = sample_request();
  trace::Span root("bench publish", trace::SpanKind::kInternal, std::nullopt);
  auto scope = root.activate();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    if (!conn.publish("bench.bus.pub", message, {.tenant = "acme"})) return false;
  }
  if (!conn.flush(30s)) return false;
  elapsed = std::chrono::steady_clock::now() - t0;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"libs/bus vs raw cnats: request-reply latency and publish throughput"};
  int requests = 5000;
  int publishes = 200000;
  int rounds = 5;
  app.add_option("--requests", requests, "request-reply round trips per side")
      ->check(CLI::Range(100, 10'000'000));
  app.add_option("--publishes", publishes, "messages published per side")
      ->check(CLI::Range(1000, 100'000'000));
  app.add_option("--rounds", rounds, "alternating rounds (raw, bus) to even out drift")
      ->check(CLI::Range(1, 100));
  bool send_asap = true;  // libs/bus' default
  app.add_flag("--send-asap,!--no-send-asap", send_asap,
               "both sides write each message at once (cnats SendAsap, the libs/bus default); "
               "--no-send-asap lets cnats' flusher thread batch writes");
  CLI11_PARSE(app, argc, argv);
  bench::set_raw_send_asap(send_asap);
  spdlog::set_level(spdlog::level::warn);

  if (auto t = trace::init_from_env("aether-bench-bus"); !t) {
    std::fprintf(stderr, "tracing config: %s\n", t.error().message.c_str());
    return 2;
  }
  auto server = devstack::NatsServer::start();
  if (!server) {
    std::fprintf(stderr, "nats-server: %s\n", server.error().message.c_str());
    return 1;
  }
  auto client = bus::Connection::connect(
      {.url = server->url(), .name = "bench-client", .send_asap = send_asap});
  auto responder = bus::Connection::connect(
      {.url = server->url(), .name = "bench-server", .send_asap = send_asap});
  if (!client || !responder) {
    std::fprintf(stderr, "connect failed\n");
    return 1;
  }
  auto sub = bus::serve<v1::CreateVm, v1::VmOpReply>(
      *responder, "bench.bus.rr", {.service = "bench", .operation = "create"},
      [reply = sample_reply()](const v1::CreateVm&, const bus::RequestContext&)
          -> bus::Result<v1::VmOpReply> { return reply; });
  if (!sub || !responder->flush(5s)) return 1;

  const std::string raw_payload = sample_request().SerializeAsString();
  const std::string raw_reply = sample_reply().SerializeAsString();

  // Warm-up both paths (connections, inbox subscriptions, caches).
  bench::RoundTrips warm;
  if (!bench::raw_request_reply(server->url(), raw_payload, raw_reply, 200, warm) ||
      !bus_request_reply(*client, 200, warm)) {
    return 1;
  }

  bench::RoundTrips raw_rt, bus_rt;
  bench::Nanos raw_pub{0}, hdr_pub{0}, bus_pub{0};
  const int rr_per_round = std::max(1, requests / rounds);
  const int pub_per_round = std::max(1, publishes / rounds);
  for (int r = 0; r < rounds; ++r) {
    bench::Nanos a{0}, h{0}, b{0};
    if (!bench::raw_request_reply(server->url(), raw_payload, raw_reply, rr_per_round, raw_rt) ||
        !bus_request_reply(*client, rr_per_round, bus_rt) ||
        !bench::raw_publish(server->url(), raw_payload, pub_per_round, a) ||
        !bench::raw_publish_with_headers(server->url(), raw_payload, pub_per_round, h) ||
        !bus_publish(server->url(), send_asap, pub_per_round, b)) {
      return 1;
    }
    raw_pub += a;
    hdr_pub += h;
    bus_pub += b;
  }

  const double raw_p50 = raw_rt.percentile_us(50), raw_p99 = raw_rt.percentile_us(99);
  const double bus_p50 = bus_rt.percentile_us(50), bus_p99 = bus_rt.percentile_us(99);
  auto rate = [&](bench::Nanos d) {
    return static_cast<double>(pub_per_round) * rounds / (static_cast<double>(d.count()) / 1e9);
  };
  const double raw_rate = rate(raw_pub), hdr_rate = rate(hdr_pub), bus_rate = rate(bus_pub);

  std::printf(
      "aether-bench-bus: nats-server %s, %zu round trips and %d publishes per side, "
      "payload %zu bytes, send-asap %s, tracing on (spans created and propagated)\n",
      server->url().c_str(), raw_rt.samples.size(), pub_per_round * rounds, raw_payload.size(),
      send_asap ? "on" : "off");
  std::printf("%-28s %12s %12s %8s\n", "", "raw cnats", "libs/bus", "ratio");
  std::printf("%-28s %12.1f %12.1f %7.3fx\n", "request-reply p50 (us)", raw_p50, bus_p50,
              bus_p50 / raw_p50);
  std::printf("%-28s %12.1f %12.1f %7.3fx\n", "request-reply p99 (us)", raw_p99, bus_p99,
              bus_p99 / raw_p99);
  std::printf("%-28s %12.0f %12.0f %7.3fx\n", "publish (msgs/s)", raw_rate, bus_rate,
              bus_rate / raw_rate);
  std::printf("%-28s %12.0f %12.0f %7.3fx\n", "publish, raw with 3 headers", hdr_rate, bus_rate,
              bus_rate / hdr_rate);
  // Machine-readable lines for `make bench` (tools/bench-report/README.md).
  std::printf(
      "BENCH figure=bus.request_p50 value=%.1f unit=us baseline=%.1f baseline_of=raw_cnats "
      "better=lower\n",
      bus_p50, raw_p50);
  std::printf(
      "BENCH figure=bus.request_p99 value=%.1f unit=us baseline=%.1f baseline_of=raw_cnats "
      "better=lower\n",
      bus_p99, raw_p99);
  std::printf(
      "BENCH figure=bus.publish_rate value=%.0f unit=msg/s baseline=%.0f "
      "baseline_of=raw_cnats better=higher\n",
      bus_rate, raw_rate);
  std::printf(
      "BENCH figure=bus.publish_rate_vs_headers value=%.0f unit=msg/s baseline=%.0f "
      "baseline_of=raw_cnats_3_headers better=higher\n",
      bus_rate, hdr_rate);
  const bool ok = bus_p50 / raw_p50 <= 1.15;
  std::printf("target: libs/bus p50 within 1.15x of raw cnats: %s\n", ok ? "met" : "NOT met");
  sub->stop();
  trace::shutdown(2s);
  return 0;
}
