// OtlpSink against the real aether-otlp-sink binary from this build tree.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <string>

#include "aether/devstack/net.hpp"
#include "aether/devstack/otlp_sink.hpp"
#include "aether/process/process.hpp"

using aether::devstack::Errc;
using aether::devstack::OtlpSink;

TEST_CASE("OtlpSink starts the sink and it accepts OTLP/HTTP", "[otlp]") {
  auto sink = OtlpSink::start();
  INFO((sink ? std::string() : sink.error().message));
  REQUIRE(sink.has_value());
  CHECK(sink->endpoint() == "http://127.0.0.1:" + std::to_string(sink->port()));
  CHECK(sink->spans_file().parent_path() == sink->state_dir());

  httplib::Client client("127.0.0.1", sink->port());
  client.set_connection_timeout(std::chrono::seconds(5));
  // An empty ExportTraceServiceRequest is valid protobuf with no spans.
  auto res = client.Post("/v1/traces", std::string(), "application/x-protobuf");
  REQUIRE(res);
  CHECK(res->status == 200);

  const pid_t pid = sink->pid();
  REQUIRE(sink->stop().has_value());
  CHECK_FALSE(aether::process::pid_alive(pid));
}

TEST_CASE("OtlpSink names a missing binary", "[otlp]") {
  OtlpSink::Options options;
  options.binary = "/nonexistent/aether-otlp-sink";
  auto sink = OtlpSink::start(options);
  REQUIRE_FALSE(sink.has_value());
  CHECK(sink.error().code == Errc::kNotFound);
  CHECK_THAT(sink.error().message, Catch::Contains("OtlpSinkOptions::binary"));
}
