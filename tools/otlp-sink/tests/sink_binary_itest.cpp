// The aether-otlp-sink binary: port announcement, JSON-lines output, refusals.
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace {

// The binary is built beside this test (same CMake directory). The
// AETHER_BINARY_DIR variable is a fallback: aether_test currently passes it to
// ctest in a way that drops it (see the README).
std::string sink_binary() {
  auto beside = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "aether-otlp-sink";
  if (std::filesystem::exists(beside)) return beside.string();
  const char* dir = std::getenv("AETHER_BINARY_DIR");
  REQUIRE(dir != nullptr);
  return std::string(dir) + "/tools/otlp-sink/aether-otlp-sink";
}

// The sink as a child process; its stdout is a pipe we read the port from.
class SinkProcess {
 public:
  explicit SinkProcess(std::vector<std::string> args) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    args.insert(args.begin(), sink_binary());
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~SinkProcess() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    ::close(out_);
  }

  // Reads stdout until a full line arrives (bounded by timeout_ms).
  std::string read_line(int timeout_ms = 10000) {
    std::string line;
    char c = 0;
    while (true) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) return line;
      if (::read(out_, &c, 1) != 1 || c == '\n') return line;
      line += c;
    }
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

int port_from(const std::string& line) {
  const std::string prefix = "listening on 127.0.0.1:";
  REQUIRE(line.starts_with(prefix));
  return std::stoi(line.substr(prefix.size()));
}

std::string one_span_request(const std::string& name) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("sink-itest");
  auto* span = rs->add_scope_spans()->add_spans();
  span->set_trace_id(std::string(16, '\x01'));
  span->set_span_id(std::string(8, '\x02'));
  span->set_name(name);
  return request.SerializeAsString();
}

std::vector<nlohmann::json> read_lines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

struct TempFile {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("otlp-sink-itest-" + std::to_string(::getpid()) + ".jsonl");
  TempFile() { std::filesystem::remove(path); }
  ~TempFile() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("the sink announces its port and writes one JSON line per span") {
  TempFile out;
  SinkProcess sink({"--port", "0", "--out", out.path.string()});
  int port = port_from(sink.read_line());
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(5));
  auto res = client.Post("/v1/traces", one_span_request("first"), "application/x-protobuf");
  REQUIRE(res);
  CHECK(res->status == 200);
  res = client.Post("/v1/traces",
                    R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":)"
                    R"("0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708",)"
                    R"("name":"from json"}]}]}]})",
                    "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  res = client.Post("/v1/traces", "garbage", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 415);

  auto lines = read_lines(out.path);  // written and flushed before the reply
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["name"] == "first");
  CHECK(lines[0]["service"] == "sink-itest");
  CHECK(lines[0]["trace_id"] == "01010101010101010101010101010101");
  CHECK(lines[0]["parent_span_id"] == "");
  CHECK(lines[0]["status"]["code"] == "unset");
  CHECK(lines[1]["name"] == "from json");
  CHECK(lines[1]["span_id"] == "0102030405060708");
}

TEST_CASE("the sink refuses the first requests given --fail-first and --status") {
  TempFile out;
  SinkProcess sink({"--port", "0", "--out", out.path.string(), "--fail-first", "2", "--status",
                    "502", "--retry-after", "3"});
  int port = port_from(sink.read_line());
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(5));
  for (int i = 0; i < 2; ++i) {
    auto res = client.Post("/v1/traces", one_span_request("refused"), "application/x-protobuf");
    REQUIRE(res);
    CHECK(res->status == 502);
    CHECK(res->get_header_value("Retry-After") == "3");
  }
  auto res = client.Post("/v1/traces", one_span_request("accepted"), "application/x-protobuf");
  REQUIRE(res);
  CHECK(res->status == 200);
  auto lines = read_lines(out.path);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["name"] == "accepted");
}
