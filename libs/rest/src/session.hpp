// One client connection (private). Owned by shared_ptrs held by its pending
// async operations and by the handler task while a request runs; all socket
// work happens on the connection's strand, except a streaming answer, which
// the handler thread writes synchronously while no async operation is pending.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "aether/rest/message.hpp"
#include "aether/rest/problem.hpp"
#include "aether/rest/router.hpp"
#include "server_impl.hpp"

namespace aether::rest {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server::Impl& server, boost::asio::ip::tcp::socket socket);
  void start();
  // From any thread: closes the connection if it is waiting for a request.
  void close_if_idle();

 private:
  void wait_for_request();
  void read_header();
  void on_header(boost::beast::error_code ec);
  void on_body(boost::beast::error_code ec, RouteMatch match);
  // Opens the server span (continuing a valid traceparent) and sets request.span.
  [[nodiscard]] trace::Span open_span(Request& request) const;
  // Tries the route's FastHandler on this (io) thread; false: not answered.
  bool try_fast(const Route& route, Request& request, trace::Span& span, bool keep_alive);
  void run_handler(const Route& route, Request request, trace::Span span, bool keep_alive);
  // Decorates the answer, ends the span's status and sends (or streams) it.
  void finish(Response response, const Request& request, trace::Span& span, bool keep_alive);
  // Counts the answer in the metrics and ends its in-flight count.
  void record(const Request& request, int status);
  // Writes a plain answer on the strand, then reads the next request or closes.
  void send(Response response, const Request& request, bool keep_alive);
  void send_problem(const Problem& problem, bool keep_alive);
  void stream(Response& response, const Request& request, bool keep_alive);
  void after_write(bool keep_alive);
  void close();

  Server::Impl& server_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::string remote_;
  std::size_t body_limit_ = 0;
  std::atomic<bool> idle_{true};
  std::chrono::steady_clock::time_point started_;
};

}  // namespace aether::rest
