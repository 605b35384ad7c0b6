// The Server's shared state, seen by its sessions (private).
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "aether/rest/server.hpp"

namespace aether::rest {

class Session;

struct Server::Impl {
  Impl(ServerOptions options, Router router, http::Registry& registry);
  void accept();

  ServerOptions options;
  Router router;
  boost::asio::io_context ioc;
  // Keeps the io threads running while every connection waits on a handler
  // thread (no async operation pending), e.g. during the drain.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::thread_pool pool;  // handler threads
  std::vector<std::thread> io;    // io threads
  http::Family<http::Counter>& requests;
  http::Family<http::Histogram>& duration;
  http::Family<http::Counter>& io_answers;  // answered by RouteOptions::fast
  http::Gauge& active;
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  int bound_port = 0;
  std::mutex sessions_mutex;  // guards sessions
  std::vector<std::weak_ptr<Session>> sessions;
};

}  // namespace aether::rest
