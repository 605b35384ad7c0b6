#include "aether/redis/connection.hpp"

#include <cerrno>
#include <csignal>
#include <mutex>
#include <string>
#include <vector>

namespace aether::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  const auto count = ms.count() <= 0 ? 1 : ms.count();
  return timeval{static_cast<time_t>(count / 1000),
                 static_cast<suseconds_t>((count % 1000) * 1000)};
}

// Error replies that mean "the server cannot serve yet", not "your command is wrong".
bool transient_server_error(std::string_view text) {
  return text.starts_with("LOADING") || text.starts_with("MASTERDOWN") ||
         text.starts_with("BUSY ") || text.starts_with("TRYAGAIN");
}

// hiredis writes with write(2): a write to a socket Redis has closed would
// raise SIGPIPE and kill the process. Ignore it unless the program has its own
// handler (an EPIPE error is what we want).
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
      ::signal(SIGPIPE, SIG_IGN);
  });
}

}  // namespace

Result<const redisReply*> array_element(const redisReply& array, std::size_t index,
                                        std::string_view what) {
  if (array.type != REDIS_REPLY_ARRAY)
    return make_error(
        Errc::kUnexpectedReply,
        std::string(what) + ": expected an array reply, got type " + std::to_string(array.type));
  if (index >= array.elements)
    return make_error(Errc::kUnexpectedReply,
                      std::string(what) + ": array has " + std::to_string(array.elements) +
                          " elements, element " + std::to_string(index) + " is missing");
  return array.element[index];
}

Result<long long> integer_of(const redisReply& reply, std::string_view what) {
  if (reply.type != REDIS_REPLY_INTEGER)
    return make_error(
        Errc::kUnexpectedReply,
        std::string(what) + ": expected an integer reply, got type " + std::to_string(reply.type));
  return reply.integer;
}

Result<std::optional<std::string>> string_of(const redisReply& reply, std::string_view what) {
  if (reply.type == REDIS_REPLY_NIL) return std::optional<std::string>{};
  if (reply.type != REDIS_REPLY_STRING && reply.type != REDIS_REPLY_STATUS)
    return make_error(
        Errc::kUnexpectedReply,
        std::string(what) + ": expected a string reply, got type " + std::to_string(reply.type));
  return std::optional<std::string>(std::string(reply.str, reply.len));
}

Result<Connection> Connection::open(const ConnectionOptions& options) {
  ignore_sigpipe_once();
  const auto& ep = options.endpoint;
  std::string peer = ep.host + ":" + std::to_string(ep.port);
  redisContext* raw =
      redisConnectWithTimeout(ep.host.c_str(), ep.port, to_timeval(options.connect_timeout));
  if (raw == nullptr)
    return make_error(Errc::kUnavailable, "redis " + peer + ": cannot allocate a context");
  Connection conn(raw, std::move(peer));
  conn.command_timeout_ = options.command_timeout;
  if (raw->err) {
    const bool timed_out =
        raw->err == REDIS_ERR_IO && (errno == EINPROGRESS || errno == EAGAIN || errno == ETIMEDOUT);
    return make_error(Errc::kUnavailable,
                      "redis " + conn.peer_ + ": connect failed: " +
                          (timed_out ? "no answer within " +
                                           std::to_string(options.connect_timeout.count()) + " ms"
                                     : std::string(raw->errstr)));
  }
  if (redisSetTimeout(raw, to_timeval(options.command_timeout)) != REDIS_OK)
    return std::unexpected(conn.transport_error("setting the command timeout"));
  redisEnableKeepAlive(raw);

  if (ep.password) {
    auto reply = ep.user.empty() ? conn.command({"AUTH", *ep.password})
                                 : conn.command({"AUTH", ep.user, *ep.password});
    if (!reply) return std::unexpected(reply.error());
  }
  if (ep.db != 0) {
    const std::string db = std::to_string(ep.db);
    auto reply = conn.command({"SELECT", db});
    if (!reply) return std::unexpected(reply.error());
  }
  return conn;
}

Result<Reply> Connection::command(std::span<const std::string_view> args) {
  if (broken_)
    return make_error(Errc::kUnavailable, "redis " + peer_ + ": connection already broken");
  if (args.empty()) return make_error(Errc::kInvalidArgument, "redis command: no arguments");
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto arg : args) {
    argv.push_back(arg.data());
    lens.push_back(arg.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (raw == nullptr) return std::unexpected(transport_error(args.front()));
  Reply reply(raw);
  if (reply.type() == REDIS_REPLY_ERROR) {
    const std::string text(reply.text());
    return make_error(transient_server_error(text) ? Errc::kUnavailable : Errc::kServerError,
                      "redis " + std::string(args.front()) + ": " + text);
  }
  return reply;
}

Error Connection::transport_error(std::string_view during) {
  broken_ = true;
  const int err = context_->err;
  std::string what = context_->errstr;
  if (err == REDIS_ERR_IO && (what.find("temporarily unavailable") != std::string::npos ||
                              what.find("timed out") != std::string::npos))
    what = "no reply within " + std::to_string(command_timeout_.count()) + " ms";
  else if (err == REDIS_ERR_EOF)
    what = "server closed the connection";
  if (err == REDIS_ERR_PROTOCOL || err == REDIS_ERR_OOM || err == REDIS_ERR_OTHER)
    return Error{Errc::kUnexpectedReply,
                 "redis " + peer_ + " " + std::string(during) + ": " + what};
  return Error{Errc::kUnavailable, "redis " + peer_ + " " + std::string(during) + ": " + what};
}

}  // namespace aether::redis
