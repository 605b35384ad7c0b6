#include "aether/rest/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <list>
#include <mutex>
#include <thread>

#include "server_impl.hpp"
#include "session.hpp"

namespace aether::rest {

namespace net = boost::asio;
using tcp = net::ip::tcp;

void add_security_headers(HeaderList& headers) {
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("X-Frame-Options", "DENY");
  headers.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  headers.set("Referrer-Policy", "no-referrer");
  headers.set("Cache-Control", "no-store");
  headers.set("Strict-Transport-Security", "max-age=31536000");
}

Server::Impl::Impl(ServerOptions opts, Router r, http::Registry& registry)
    : options(std::move(opts)),
      router(std::move(r)),
      ioc(std::max(1, options.io_threads)),
      work(boost::asio::make_work_guard(ioc)),
      acceptor(ioc),
      pool(static_cast<std::size_t>(std::max(1, options.handler_threads))),
      requests(registry.counter_family(options.metric_prefix + "_requests_total",
                                       "HTTP requests answered, by route and status",
                                       {"method", "route", "code"})),
      duration(registry.histogram_family(
          options.metric_prefix + "_request_duration_seconds",
          "HTTP request latency from the end of the body read to the answer written",
          {"method", "route"}, http::exponential_buckets(0.0005, 2, 16))),
      io_answers(registry.counter_family(
          options.metric_prefix + "_io_answers_total",
          "HTTP requests answered on the io thread without the handler pool, by route",
          {"method", "route"})),
      active(
          registry
              .gauge_family(options.metric_prefix + "_in_flight", "HTTP requests being handled", {})
              .labels(http::LabelValues{})) {}

void Server::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc),
                        [this](boost::system::error_code ec, tcp::socket socket) {
                          if (ec) {
                            if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
                            spdlog::warn("rest: accept failed: {}", ec.message());
                          } else {
                            auto session = std::make_shared<Session>(*this, std::move(socket));
                            {
                              std::lock_guard lock(sessions_mutex);
                              std::erase_if(sessions, [](const auto& w) { return w.expired(); });
                              sessions.push_back(session);
                            }
                            session->start();
                          }
                          if (!stopping.load()) accept();
                        });
}

Server::Server(ServerOptions options, Router router, http::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router), registry)) {}

Server::~Server() { stop(); }

Result<int> Server::start() {
  auto& s = *impl_;
  if (s.started.exchange(true)) return std::unexpected(Error{Errc::kAlreadyStarted, "started"});
  boost::system::error_code ec;
  auto address = net::ip::make_address(s.options.host, ec);
  if (ec) {
    return std::unexpected(
        Error{Errc::kBindFailed, "AETHER_HTTP_ADDR '" + s.options.host + "': " + ec.message()});
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(s.options.port));
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return std::unexpected(Error{Errc::kBindFailed, "cannot listen on " + s.options.host + ":" +
                                                        std::to_string(s.options.port) + ": " +
                                                        ec.message()});
  }
  s.bound_port = s.acceptor.local_endpoint().port();
  s.accept();
  for (int i = 0; i < std::max(1, s.options.io_threads); ++i) {
    s.io.emplace_back([&s] { s.ioc.run(); });
  }
  return s.bound_port;
}

void Server::stop() {
  auto& s = *impl_;
  if (!s.started.load() || s.stopped.exchange(true)) return;
  s.stopping.store(true);
  net::post(s.acceptor.get_executor(), [&s] {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
  });
  // Connections waiting for their next request close now; busy ones close
  // after their answer (Connection: close).
  {
    std::lock_guard lock(s.sessions_mutex);
    for (auto& w : s.sessions) {
      if (auto session = w.lock()) session->close_if_idle();
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + s.options.drain_timeout;
  while (s.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (s.in_flight.load() > 0) {
    spdlog::warn("rest: {} requests still running after the drain timeout", s.in_flight.load());
  }
  s.work.reset();
  s.ioc.stop();
  for (auto& t : s.io) t.join();
  s.io.clear();
  s.pool.join();
}

int Server::port() const { return impl_->bound_port; }
int Server::in_flight() const { return impl_->in_flight.load(); }

}  // namespace aether::rest
