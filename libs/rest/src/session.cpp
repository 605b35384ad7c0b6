#include "session.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "aether/rest/problem.hpp"
#include "request_builder.hpp"

namespace aether::rest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

constexpr std::string_view kUnmatched = "unmatched";

// Bytes of the socket's send buffer a blocked streaming write may wait for.
void set_send_timeout(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void decorate(Response& response, const Request& request) {
  response.headers.set("X-Request-Id", request.request_id);
  if (request.span.valid())
    response.headers.set("traceparent", trace::format_traceparent(request.span));
  add_security_headers(response.headers);
}

template <class Message>
void copy_response_headers(const Response& from, Message& to) {
  for (const auto& [k, v] : from.headers.items()) to.set(k, v);
}

class SocketStreamWriter final : public StreamWriter {
 public:
  SocketStreamWriter(net::ip::tcp::socket& socket, const std::atomic<bool>& stopping)
      : socket_(socket), stopping_(stopping) {}
  bool write(std::string_view chunk) override {
    if (failed_) return false;
    if (chunk.empty()) return true;  // an empty chunk would end the body
    beast::error_code ec;
    net::write(socket_, bhttp::make_chunk(net::const_buffer(chunk.data(), chunk.size())), ec);
    if (ec) failed_ = true;
    return !failed_;
  }
  [[nodiscard]] bool stopping() const override { return stopping_.load(); }
  [[nodiscard]] bool failed() const { return failed_; }

 private:
  net::ip::tcp::socket& socket_;
  const std::atomic<bool>& stopping_;
  bool failed_ = false;
};

}  // namespace

Session::Session(Server::Impl& server, net::ip::tcp::socket socket)
    : server_(server), stream_(std::move(socket)) {
  beast::error_code ec;
  auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string();
}

void Session::start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void Session::close_if_idle() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->idle_.load()) self->close();
  });
}

void Session::close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  stream_.close();
}

// Waiting for the next request on a kept-alive connection may take idle_timeout;
// once its first byte is in, the whole header must arrive within header_timeout.
void Session::wait_for_request() {
  idle_.store(true);
  if (server_.stopping.load()) return close();
  if (buffer_.size() > 0) return read_header();
  stream_.expires_after(server_.options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            if (ec) return self->close();
                            self->buffer_.commit(n);
                            self->read_header();
                          });
}

void Session::read_header() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
  parser_->body_limit(server_.options.max_body_bytes);
  stream_.expires_after(server_.options.header_timeout);
  bhttp::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code ec) {
  if (ec == bhttp::error::header_limit) {
    return send_problem(
        Problem{.status = 431,
                .title = reason_phrase(431),
                .detail = "request headers exceed " +
                          std::to_string(server_.options.max_header_bytes) + " bytes"},
        false);
  }
  if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
      ec == net::error::operation_aborted || ec == net::error::connection_reset ||
      ec == net::error::eof) {
    return close();
  }
  if (ec)
    return send_problem(Problem::bad_request("malformed HTTP request: " + ec.message()), false);
  idle_.store(false);
  const auto& req = parser_->get();
  std::string_view target = req.target();
  const auto path = target.substr(0, target.find('?'));
  RouteMatch match = server_.router.match(req.method_string(), path);
  std::size_t limit = server_.options.max_body_bytes;
  if (match.route != nullptr && match.route->options.max_body_bytes > 0) {
    limit = match.route->options.max_body_bytes;
  }
  parser_->body_limit(limit);
  body_limit_ = limit;
  if (auto length = parser_->content_length(); length && *length > limit) {
    return send_problem(Problem::payload_too_large("request body of " + std::to_string(*length) +
                                                   " bytes exceeds the limit of " +
                                                   std::to_string(limit) + " bytes"),
                        false);
  }
  if (parser_->is_done()) return on_body({}, std::move(match));
  stream_.expires_after(server_.options.body_timeout);
  bhttp::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this(), match = std::move(match)](
          beast::error_code ec2, std::size_t) mutable { self->on_body(ec2, std::move(match)); });
}

void Session::on_body(beast::error_code ec, RouteMatch match) {
  if (ec == bhttp::error::body_limit) {
    return send_problem(Problem::payload_too_large("request body exceeds the limit of " +
                                                   std::to_string(body_limit_) + " bytes"),
                        false);
  }
  if (ec) return close();  // timeout (the stream is closed already), reset, ...
  auto& req = parser_->get();
  Request request;
  request.method = std::string(req.method_string());
  request.remote_address = remote_;
  request.stopping = &server_.stopping;
  copy_headers(req, request);
  request.request_id = request_id_for(request.headers.get("X-Request-Id").value_or(""));
  const bool keep_alive = req.keep_alive();
  if (!split_target(req.target(), request)) {
    return send_problem(Problem::bad_request("malformed request target"), false);
  }
  request.body = std::move(req.body());
  started_ = std::chrono::steady_clock::now();
  server_.in_flight.fetch_add(1);
  server_.active.inc();
  if (match.route == nullptr) {
    Response response;
    request.route = std::string(kUnmatched);
    if (match.allowed.empty()) {
      response = Problem::not_found("no route for " + request.path).response();
    } else {
      std::string allow;
      for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
      response = Problem::method_not_allowed(request.method + " is not allowed on " + request.path +
                                             " (allowed: " + allow + ")")
                     .response();
      response.headers.set("Allow", allow);
    }
    decorate(response, request);
    return send(std::move(response), request, keep_alive);
  }
  const Route& route = *match.route;
  for (auto& [k, v] : match.params) request.params.emplace(std::move(k), std::move(v));
  request.route = route.pattern;
  trace::Span span = open_span(request);
  if (route.options.fast && try_fast(route, request, span, keep_alive)) return;
  net::post(server_.pool, [self = shared_from_this(), &route, request = std::move(request),
                           span = std::move(span), keep_alive]() mutable {
    self->run_handler(route, std::move(request), std::move(span), keep_alive);
  });
}

namespace {

// The handler's answer; one that throws is a 500 problem naming the request id.
template <class Call>
auto guarded(const Request& request, Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const std::exception& e) {
    spdlog::error("rest: {} {} threw: {} (request id {})", request.method, request.path, e.what(),
                  request.request_id);
  } catch (...) {
    spdlog::error("rest: {} {} threw (request id {})", request.method, request.path,
                  request.request_id);
  }
  return Problem::internal("internal error; request id " + request.request_id).response();
}

}  // namespace

trace::Span Session::open_span(Request& request) const {
  // A malformed traceparent is ignored: the span then starts a new trace.
  auto parent = trace::extract(
      [&](std::string_view name) -> std::optional<std::string> { return request.header(name); });
  trace::Span span(server_.options.service_name + " " + request.method + " " + request.route,
                   trace::SpanKind::kServer, parent);
  span.set_attribute("http.request.method", request.method);
  span.set_attribute("http.route", request.route);
  span.set_attribute("url.path", request.path);
  span.set_attribute("http.request_id", request.request_id);
  request.span = span.context();
  return span;
}

bool Session::try_fast(const Route& route, Request& request, trace::Span& span, bool keep_alive) {
  std::optional<Response> response;
  {
    auto scope = span.activate();
    response = guarded(request, [&] { return route.options.fast(request); });
    if (!response) return false;
    server_.io_answers.labels({request.method, request.route}).inc();
    if (!response->stream) {
      finish(std::move(*response), request, span, keep_alive);
      return true;
    }
  }
  // A stream is not for the io thread: it is written from the pool.
  net::post(server_.pool,
            [self = shared_from_this(), response = std::move(*response),
             request = std::move(request), span = std::move(span), keep_alive]() mutable {
              auto scope = span.activate();
              self->finish(std::move(response), request, span, keep_alive);
            });
  return true;
}

void Session::run_handler(const Route& route, Request request, trace::Span span, bool keep_alive) {
  auto scope = span.activate();
  Response response = guarded(request, [&] { return route.handler(request); });
  finish(std::move(response), request, span, keep_alive);
}

void Session::finish(Response response, const Request& request, trace::Span& span,
                     bool keep_alive) {
  decorate(response, request);
  span.set_attribute("http.response.status_code", static_cast<std::int64_t>(response.status));
  if (response.status >= 500) span.set_error(reason_phrase(response.status));
  keep_alive = keep_alive && !server_.stopping.load();
  if (!response.stream) return send(std::move(response), request, keep_alive);
  stream(response, request, keep_alive);
}

void Session::record(const Request& request, int status) {
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  server_.requests.labels({request.method, request.route, std::to_string(status)}).inc();
  server_.duration.labels({request.method, request.route}).observe(seconds);
  server_.active.dec();
  server_.in_flight.fetch_sub(1);
}

void Session::send(Response response, const Request& request, bool keep_alive) {
  auto message = std::make_shared<bhttp::response<bhttp::string_body>>(
      static_cast<bhttp::status>(response.status), 11);
  copy_response_headers(response, *message);
  message->body() = std::move(response.body);
  message->keep_alive(keep_alive && !server_.stopping.load());
  message->prepare_payload();
  if (request.method == "HEAD") message->body().clear();
  // Inline when on the connection's strand already (an io-thread answer).
  net::dispatch(stream_.get_executor(), [self = shared_from_this(), message,
                                         method = request.method, route = request.route,
                                         status = response.status]() {
    self->stream_.expires_after(self->server_.options.write_timeout);
    bhttp::async_write(self->stream_, *message,
                       [self, message, method, route, status](beast::error_code ec, std::size_t) {
                         Request labels;
                         labels.method = method;
                         labels.route = route;
                         self->record(labels, status);
                         if (ec) return self->close();
                         self->after_write(message->keep_alive());
                       });
  });
}

void Session::send_problem(const Problem& problem, bool keep_alive) {
  Request request;
  request.method = parser_ && parser_->is_header_done()
                       ? std::string(parser_->get().method_string())
                       : std::string("UNKNOWN");
  request.route = std::string(kUnmatched);
  request.request_id = request_id_for("");
  started_ = std::chrono::steady_clock::now();
  server_.in_flight.fetch_add(1);
  server_.active.inc();
  Response response = problem.response();
  decorate(response, request);
  send(std::move(response), request, keep_alive);
}

// Runs on the handler thread while no async operation is pending on the socket.
void Session::stream(Response& response, const Request& request, bool keep_alive) {
  bhttp::response<bhttp::empty_body> head(static_cast<bhttp::status>(response.status), 11);
  copy_response_headers(response, head);
  head.chunked(true);
  head.keep_alive(keep_alive);
  auto& socket = stream_.socket();
  set_send_timeout(socket.native_handle(), server_.options.write_timeout);
  beast::error_code ec;
  bhttp::response_serializer<bhttp::empty_body> serializer(head);
  bhttp::write_header(socket, serializer, ec);
  bool ok = !ec;
  if (ok) {
    SocketStreamWriter writer(socket, server_.stopping);
    try {
      response.stream(writer);
    } catch (const std::exception& e) {
      spdlog::error("rest: stream of {} {} threw: {}", request.method, request.path, e.what());
    }
    ok = !writer.failed();
    if (ok) {
      net::write(socket, bhttp::make_chunk_last(), ec);
      ok = !ec;
    }
  }
  net::post(stream_.get_executor(),
            [self = shared_from_this(), method = request.method, route = request.route,
             status = response.status, again = ok && keep_alive && !server_.stopping.load()] {
              Request labels;
              labels.method = method;
              labels.route = route;
              self->record(labels, status);
              if (!again) return self->close();
              self->after_write(true);
            });
}

void Session::after_write(bool keep_alive) {
  if (!keep_alive || server_.stopping.load()) return close();
  wait_for_request();
}

}  // namespace aether::rest
