// The server on a real socket, driven by libcurl and raw sockets.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "aether/rest/json_body.hpp"
#include "aether/rest/server.hpp"

using namespace aether::rest;
using namespace std::chrono_literals;

namespace {

struct Reply {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

std::size_t on_body(char* p, std::size_t s, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}
std::size_t on_header(char* p, std::size_t s, std::size_t n, void* out) {
  std::string line(p, s * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n") + 1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return s * n;
}

Reply call(int port, const std::string& method, const std::string& path,
           const std::string& body = {}, std::vector<std::string> headers = {}) {
  Reply r;
  CURL* c = curl_easy_init();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty() || method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return r;
}

// Sends raw bytes and returns everything read until the server closes (or 5 s).
std::string raw_exchange(int port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)!::write(fd, bytes.data(), bytes.size());
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return got;
}

struct Fixture {
  aether::http::Registry registry;
  std::promise<void> slow_started;
  std::unique_ptr<Server> server;
  int port = 0;

  Fixture() {
    Router router;
    router.add("GET", "/v1/ping", [](Request& req) {
      return Response::json(200, {{"ok", true}, {"trace", req.span.trace_id_hex()}});
    });
    router.add("GET", "/v1/items/{id}", [](Request& req) {
      return Response::json(200, {{"id", req.param("id")},
                                  {"q", req.query_param("q").value_or("")},
                                  {"labels", req.query_params("label")}});
    });
    router.add("POST", "/v1/echo",
               [](Request& req) {
                 if (auto p = require_json_content_type(req)) return p->response();
                 auto doc = parse_json_body(req.body);
                 if (!doc) return doc.error().response();
                 FieldReader r(*doc);
                 auto name = r.string("name");
                 if (auto p = r.finish("invalid echo")) return p->response();
                 return Response::json(200, {{"name", name.value_or("")}});
               },
               {.max_body_bytes = 64});
    router.add("GET", "/v1/throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
    router.add("GET", "/v1/slow", [this](Request&) {
      slow_started.set_value();
      std::this_thread::sleep_for(400ms);
      return Response::json(200, {{"slow", true}});
    });
    router.add("GET", "/v1/stream", [](Request&) {
      return Response::streaming(200, "application/x-ndjson", [](StreamWriter& w) {
        for (int i = 0; i < 3; ++i) {
          if (!w.write(nlohmann::json{{"seq", i}}.dump() + "\n")) return;
        }
      });
    });
    // Answered on the io thread unless {id} is "miss" (then the pool).
    router.add(
        "GET", "/v1/fast/{id}",
        [](Request& req) {
          return Response::json(
              200, {{"id", req.param("id")}, {"trace", req.span.trace_id_hex()}, {"on", "pool"}});
        },
        {.fast = [](const Request& req) -> std::optional<Response> {
          if (req.param("id") == "miss") return std::nullopt;
          if (req.param("id") == "throw") throw std::runtime_error("fast boom");
          return Response::json(
              200, {{"id", req.param("id")}, {"trace", req.span.trace_id_hex()}, {"on", "io"}});
        }});
    ServerOptions options{.host = "127.0.0.1",
                          .port = 0,
                          .io_threads = 2,
                          .handler_threads = 4,
                          .header_timeout = 300ms,
                          .body_timeout = 300ms,
                          .idle_timeout = 2s};
    server = std::make_unique<Server>(options, std::move(router), registry);
    auto started = server->start();
    REQUIRE(started);
    port = *started;
  }
};

}  // namespace

TEST_CASE("answers carry request id, traceparent and security headers; metrics count routes") {
  Fixture f;
  auto r = call(f.port, "GET", "/v1/ping", {}, {"X-Request-Id: abc-123"});
  REQUIRE(r.status == 200);
  CHECK(r.headers["x-request-id"] == "abc-123");
  CHECK(r.headers["x-content-type-options"] == "nosniff");
  CHECK(r.headers["cache-control"] == "no-store");
  CHECK(r.headers["content-type"] == "application/json");

  // A sent traceparent is continued: same trace id, new span id.
  const std::string parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto traced = call(f.port, "GET", "/v1/ping", {}, {"traceparent: " + parent});
  CHECK(nlohmann::json::parse(traced.body)["trace"] == "0af7651916cd43dd8448eb211c80319c");
  CHECK(traced.headers["traceparent"].substr(0, 36) == parent.substr(0, 36));
  CHECK(traced.headers["traceparent"] != parent);
  // A malformed one is ignored: a new trace, and a generated request id.
  auto fresh =
      call(f.port, "GET", "/v1/ping", {}, {"traceparent: 00-zz-yy-01", "X-Request-Id: a b"});
  CHECK(fresh.status == 200);
  CHECK(nlohmann::json::parse(fresh.body)["trace"] != "0af7651916cd43dd8448eb211c80319c");
  CHECK(fresh.headers["x-request-id"].size() == 32);

  auto text = f.registry.serialize();
  CHECK(
      text.find(R"(aether_api_http_requests_total{method="GET",route="/v1/ping",code="200"} 3)") !=
      std::string::npos);
  CHECK(text.find(
            R"(aether_api_http_request_duration_seconds_count{method="GET",route="/v1/ping"} 3)") !=
        std::string::npos);
}

TEST_CASE("a route's fast handler answers on the io thread with the same headers as the pool") {
  Fixture f;
  const std::string parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto io = call(f.port, "GET", "/v1/fast/a", {}, {"traceparent: " + parent, "X-Request-Id: r-1"});
  auto pool =
      call(f.port, "GET", "/v1/fast/miss", {}, {"traceparent: " + parent, "X-Request-Id: r-2"});
  REQUIRE(io.status == 200);
  REQUIRE(pool.status == 200);
  CHECK(nlohmann::json::parse(io.body)["on"] == "io");
  CHECK(nlohmann::json::parse(pool.body)["on"] == "pool");
  // The same header names on both (values differ only where they must).
  std::vector<std::string> io_names, pool_names;
  for (const auto& [k, v] : io.headers) io_names.push_back(k);
  for (const auto& [k, v] : pool.headers) pool_names.push_back(k);
  CHECK(io_names == pool_names);
  CHECK(io.headers["x-request-id"] == "r-1");
  CHECK(io.headers["content-security-policy"] == pool.headers["content-security-policy"]);
  // Both continue the trace in their server span.
  CHECK(nlohmann::json::parse(io.body)["trace"] == "0af7651916cd43dd8448eb211c80319c");
  CHECK(io.headers["traceparent"].substr(0, 36) == parent.substr(0, 36));
  CHECK(pool.headers["traceparent"].substr(0, 36) == parent.substr(0, 36));
  // A throwing fast handler is a 500 problem, as a throwing handler is.
  auto thrown = call(f.port, "GET", "/v1/fast/throw");
  CHECK(thrown.status == 500);
  CHECK(thrown.headers["content-type"] == "application/problem+json");
  // Keep-alive works after an io-thread answer (one connection, two requests).
  auto two = raw_exchange(f.port,
                          "GET /v1/fast/b HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /v1/fast/c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(two.find(R"("id":"b")") != std::string::npos);
  CHECK(two.find(R"("id":"c")") != std::string::npos);

  auto text = f.registry.serialize();
  CHECK(text.find(
            R"(aether_api_http_requests_total{method="GET",route="/v1/fast/{id}",code="200"} 4)") !=
        std::string::npos);
  CHECK(text.find(R"(aether_api_http_io_answers_total{method="GET",route="/v1/fast/{id}"} 4)") !=
        std::string::npos);
}

TEST_CASE("path parameters and decoded query strings reach the handler") {
  Fixture f;
  auto r = call(f.port, "GET", "/v1/items/vm-1?q=a%20b&label=k%3Dv&label=x=y");
  REQUIRE(r.status == 200);
  auto body = nlohmann::json::parse(r.body);
  CHECK(body["id"] == "vm-1");
  CHECK(body["q"] == "a b");
  CHECK(body["labels"] == nlohmann::json::array({"k=v", "x=y"}));
}

TEST_CASE("404, 405 with Allow, 500 from a throwing handler, all problem+json") {
  Fixture f;
  auto missing = call(f.port, "GET", "/v1/nothing");
  CHECK(missing.status == 404);
  CHECK(missing.headers["content-type"] == "application/problem+json");
  CHECK(missing.headers.contains("x-request-id"));
  auto wrong = call(f.port, "DELETE", "/v1/ping");
  CHECK(wrong.status == 405);
  CHECK(wrong.headers["allow"] == "GET");
  auto thrown = call(f.port, "GET", "/v1/throw");
  CHECK(thrown.status == 500);
  CHECK(nlohmann::json::parse(thrown.body)["detail"].get<std::string>().find("request id") !=
        std::string::npos);
  CHECK(call(f.port, "GET", "/v1/ping").status == 200);  // the server lives on
}

TEST_CASE("bodies: 415, 400, 422 naming fields, 413 over the route's limit") {
  Fixture f;
  const std::vector<std::string> json_ct = {"Content-Type: application/json"};
  CHECK(call(f.port, "POST", "/v1/echo", R"({"name":"a"})", {"Content-Type: text/plain"}).status ==
        415);
  // curl -d's default type: a JSON object body is taken as JSON, a form body is refused.
  const std::vector<std::string> form_ct = {"Content-Type: application/x-www-form-urlencoded"};
  CHECK(call(f.port, "POST", "/v1/echo", R"( {"name":"a"})", form_ct).status == 200);
  CHECK(call(f.port, "POST", "/v1/echo", R"({"name":)", form_ct).status == 400);
  auto form = call(f.port, "POST", "/v1/echo", "name=a", form_ct);
  CHECK(form.status == 415);
  CHECK(form.body.find("Content-Type: application/json") != std::string::npos);
  CHECK(call(f.port, "POST", "/v1/echo", R"({"name":)", json_ct).status == 400);
  auto unknown = call(f.port, "POST", "/v1/echo", R"({"nmae":"a"})", json_ct);
  CHECK(unknown.status == 422);
  CHECK(nlohmann::json::parse(unknown.body)["errors"][0]["field"] == "nmae");
  auto ok = call(f.port, "POST", "/v1/echo", R"({"name":"a"})", json_ct);
  CHECK(ok.status == 200);
  auto big =
      call(f.port, "POST", "/v1/echo", R"({"name":")" + std::string(100, 'x') + "\"}", json_ct);
  CHECK(big.status == 413);
  // Chunked bodies are limited while they are read.
  auto chunked =
      raw_exchange(f.port,
                   "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n50\r\n" +
                       std::string(80, 'x') + "\r\n0\r\n\r\n");
  CHECK(chunked.rfind("HTTP/1.1 413", 0) == 0);
}

TEST_CASE("slow headers and slow bodies are cut off; oversized headers get 431") {
  Fixture f;
  // Part of a header, then nothing: closed after header_timeout, no answer.
  auto slow = raw_exchange(f.port, "GET /v1/ping HTTP/1.1\r\nHost: x\r\n");
  CHECK(slow.empty());
  auto slow_body =
      raw_exchange(f.port, "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n{");
  CHECK(slow_body.empty());
  auto huge = raw_exchange(
      f.port, "GET /v1/ping HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  CHECK(huge.rfind("HTTP/1.1 431", 0) == 0);
  // Keep-alive: two requests on one connection, both answered.
  auto two = raw_exchange(f.port,
                          "GET /v1/ping HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(two.find("HTTP/1.1 200") != two.rfind("HTTP/1.1 200"));
}

TEST_CASE("streaming answers are chunked, one write per chunk") {
  Fixture f;
  auto r = call(f.port, "GET", "/v1/stream");
  REQUIRE(r.status == 200);
  CHECK(r.headers["transfer-encoding"] == "chunked");
  CHECK(r.headers["content-type"] == "application/x-ndjson");
  CHECK(r.body == "{\"seq\":0}\n{\"seq\":1}\n{\"seq\":2}\n");
}

TEST_CASE("stop() finishes the request in flight, then refuses connections") {
  Fixture f;
  auto pending = std::async(std::launch::async, [&] { return call(f.port, "GET", "/v1/slow"); });
  f.slow_started.get_future().wait();
  f.server->stop();
  auto r = pending.get();
  CHECK(r.status == 200);
  CHECK(r.headers["connection"] == "close");
  CHECK(f.server->in_flight() == 0);
  CHECK(call(f.port, "GET", "/v1/ping").status == 0);  // nothing listens
}
