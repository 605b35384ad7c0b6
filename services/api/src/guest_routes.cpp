#include "guest_routes.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "aether/bus/serve.hpp"
#include "aether/rest/json_body.hpp"
#include "aether/trace/trace.hpp"
#include "aether/v1/exec.pb.h"
#include "aether/v1/files.pb.h"
#include "core_subscription.hpp"
#include "ids.hpp"
#include "vm_json.hpp"

namespace aether::api {

using nlohmann::json;
using rest::Problem;
using rest::Response;

namespace {

constexpr std::uint64_t kMaxExecTimeoutMs = 600'000;
constexpr std::uint64_t kDefaultExecTimeoutMs = 30'000;

std::string encode_output(std::string_view bytes, bool base64) {
  return base64 ? base64_encode(bytes) : sanitize_utf8(bytes);
}

json result_json(const v1::ExecReply& reply, bool base64) {
  return {{"exitCode", reply.exit_code()},
          {"signal", reply.signal()},
          {"timedOut", reply.timed_out()},
          {"stdout", encode_output(reply.stdout(), base64)},
          {"stderr", encode_output(reply.stderr(), base64)},
          {"durationUs", reply.duration_us()},
          {"outputTruncated", reply.output_truncated()},
          {"encoding", base64 ? "base64" : "utf8"}};
}

bool accepts_ndjson(const rest::Request& req) {
  auto accept = req.header("Accept");
  return accept && accept->find("application/x-ndjson") != std::string::npos;
}

std::optional<std::string> guest_path(const rest::Request& req, Response& error) {
  auto path = req.query_param("path");
  if (!path || path->empty() || path->front() != '/' || path->size() > 4096 ||
      path->find('\0') != std::string::npos) {
    error = Problem::bad_request("path must be an absolute path inside the guest",
                                 {{"path", "must start with '/'"}})
                .response();
    return std::nullopt;
  }
  return path;
}

// Chunks from the stream inbox, handed from the bus's delivery thread to the
// handler thread that writes them out.
struct ChunkQueue {
  std::mutex mutex;  // guards chunks
  std::condition_variable ready;
  std::deque<v1::ExecOutputChunk> chunks;
};

}  // namespace

std::expected<VmRecord, Response> GuestRoutes::ready_vm(const rest::Request& req,
                                                        const Principal& who) {
  const std::string id = req.param("id");
  if (!is_uuid(id)) {
    return std::unexpected(
        Problem::bad_request("'" + id + "' is not a VM id (a UUID)", {{"id", "must be a UUID"}})
            .response());
  }
  auto vm = deps_.vms.get(who.tenant_id, id);
  if (!vm) return std::unexpected(store_problem(vm.error()).response());
  if (!*vm) return std::unexpected(Problem::not_found("no VM " + id).response());
  if ((*vm)->state != "READY") {
    return std::unexpected(
        Problem::conflict("VM " + id + " is " + (*vm)->state + ", not READY").response());
  }
  return std::move(**vm);
}

Response GuestRoutes::exec(rest::Request& req, const Principal& who) {
  if (auto p = rest::require_json_content_type(req)) return p->response();
  auto body = rest::parse_json_body(req.body);
  if (!body) return body.error().response();
  rest::FieldReader r(*body);
  v1::ExecRequest request;
  auto argv = r.string_list("argv", 256);
  if (!argv && !r.raw("argv")) r.add_error("argv", "required: the command and its arguments");
  if (argv && argv->empty()) r.add_error("argv", "must hold at least the command");
  if (argv) {
    for (auto& a : *argv) request.add_argv(a);
  }
  if (auto env = r.string_map("env", 256)) {
    for (auto& [k, v] : *env) (*request.mutable_env())[k] = v;
  }
  if (auto cwd = r.string("cwd")) request.set_cwd(*cwd);
  const auto timeout_ms = r.uint("timeoutMs", 1, kMaxExecTimeoutMs).value_or(kDefaultExecTimeoutMs);
  request.set_timeout_ms(static_cast<std::uint32_t>(timeout_ms));
  const auto encoding = r.string("encoding").value_or("utf8");
  if (encoding != "utf8" && encoding != "base64") {
    r.add_error("encoding", "must be utf8 or base64");
  }
  const bool base64 = encoding == "base64";
  if (auto in = r.string("stdin", deps_.max_file_bytes)) {
    if (base64) {
      auto decoded = base64_decode(*in);
      if (!decoded) r.add_error("stdin", "is not valid base64");
      request.set_stdin(decoded.value_or(""));
    } else {
      request.set_stdin(*in);
    }
  }
  if (auto p = r.finish("invalid exec request")) return p->response();
  auto vm = ready_vm(req, who);
  if (!vm) return std::move(vm.error());

  const std::string subject = "aether.vm." + vm->id + ".exec";
  const auto timeout = std::chrono::milliseconds(timeout_ms) + deps_.bus_timeout;
  if (accepts_ndjson(req)) return stream_exec(subject, std::move(request), who, base64, timeout);
  v1::ExecReply reply;
  auto sent =
      deps_.bus.request(subject, request, reply, {.timeout = timeout, .tenant = who.tenant_id});
  if (!sent) return bus_problem(sent.error(), "no worker holds VM " + vm->id).response();
  return Response::json(200, result_json(reply, base64));
}

Response GuestRoutes::stream_exec(const std::string& subject, v1::ExecRequest request,
                                  const Principal& who, bool base64,
                                  std::chrono::milliseconds timeout) {
  auto queue = std::make_shared<ChunkQueue>();
  const std::string inbox = "_INBOX.aether.exec." + new_uuid_v4();
  // Drained (not just unsubscribed) once the reply is in: chunks the worker
  // sent before its reply may still wait in the client's queue then.
  auto subscription = CoreSubscription::subscribe(
      deps_.bus, inbox, [queue](std::string_view, std::string_view payload) {
        v1::ExecOutputChunk chunk;
        if (chunk.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
          std::lock_guard lock(queue->mutex);
          queue->chunks.push_back(std::move(chunk));
          queue->ready.notify_one();
        }
      });
  if (!subscription) {
    return Problem::unavailable("cannot open the exec stream: " + subscription.error(), 1)
        .response();
  }
  request.set_stream_inbox(inbox);
  std::shared_ptr<CoreSubscription> sub = std::move(*subscription);
  auto bus = deps_.bus;
  const std::string tenant = who.tenant_id;
  // The body is written after this handler returned, on other threads: the
  // request's span is carried explicitly so the exec stays in the REST call's trace.
  const std::optional<trace::SpanContext> parent = trace::current_context();
  return Response::streaming(200, "application/x-ndjson", [=](rest::StreamWriter& out) mutable {
    // The request runs on its own thread; chunks are written as they come.
    struct Outcome {
      std::mutex mutex;  // guards done, reply, error
      bool done = false;
      v1::ExecReply reply;
      std::optional<bus::Error> error;
    };
    auto outcome = std::make_shared<Outcome>();
    std::thread caller([=]() mutable {
      trace::Span stream_span("api exec stream", trace::SpanKind::kInternal, parent);
      auto scope = stream_span.activate();
      v1::ExecReply reply;
      auto r = bus.request(subject, request, reply, {.timeout = timeout, .tenant = tenant});
      std::lock_guard lock(outcome->mutex);
      outcome->done = true;
      outcome->reply = std::move(reply);
      if (!r) outcome->error = r.error();
      std::lock_guard qlock(queue->mutex);
      queue->ready.notify_one();
    });
    bool open = true;
    auto write_chunk = [&](const v1::ExecOutputChunk& c) {
      json line = {
          {"stream", c.stream() == v1::ExecOutputChunk::STREAM_STDERR ? "stderr" : "stdout"},
          {"data", encode_output(c.data(), base64)},
          {"seq", c.seq()}};
      if (open) open = out.write(line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
    };
    while (true) {
      std::deque<v1::ExecOutputChunk> batch;
      bool finished = false;
      {
        std::unique_lock lock(queue->mutex);
        queue->ready.wait_for(lock, std::chrono::milliseconds(200));
        batch.swap(queue->chunks);
      }
      {
        std::lock_guard lock(outcome->mutex);
        finished = outcome->done;
      }
      for (const auto& c : batch) write_chunk(c);
      if (finished) break;
    }
    caller.join();
    sub->drain();  // every chunk the client holds is in `queue` now
    // Chunks handed over after the reply go out before the last line, in order.
    std::lock_guard lock(queue->mutex);
    for (const auto& c : queue->chunks) write_chunk(c);
    json last;
    if (outcome->error) {
      auto p = bus_problem(*outcome->error, "no worker holds the VM");
      last = {{"done", true}, {"error", {{"status", p.status}, {"detail", p.detail}}}};
    } else {
      last = result_json(outcome->reply, base64);
      last["done"] = true;
    }
    if (open) (void)out.write(last.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
  });
}

Response GuestRoutes::put_file(rest::Request& req, const Principal& who) {
  Response error;
  auto path = guest_path(req, error);
  if (!path) return error;
  auto vm = ready_vm(req, who);
  if (!vm) return std::move(vm.error());
  v1::FilePut put;
  put.set_path(*path);
  put.set_content(req.body);
  put.set_create_parents(true);
  v1::FilePutReply reply;
  auto r = deps_.bus.request("aether.vm." + vm->id + ".files.put", put, reply,
                             {.timeout = deps_.bus_timeout * 2, .tenant = who.tenant_id});
  if (!r) return bus_problem(r.error(), "no worker holds VM " + vm->id).response();
  return Response::json(
             200, {{"path", reply.path()}, {"size", reply.size()}, {"sha256", reply.sha256()}})
      .with_header("ETag", "\"" + reply.sha256() + "\"");
}

Response GuestRoutes::get_file(rest::Request& req, const Principal& who) {
  Response error;
  auto path = guest_path(req, error);
  if (!path) return error;
  auto vm = ready_vm(req, who);
  if (!vm) return std::move(vm.error());
  v1::FileGet get;
  get.set_path(*path);
  get.set_max_bytes(deps_.max_file_bytes);
  v1::FileGetReply reply;
  auto r = deps_.bus.request("aether.vm." + vm->id + ".files.get", get, reply,
                             {.timeout = deps_.bus_timeout * 2, .tenant = who.tenant_id});
  if (!r) return bus_problem(r.error(), "no worker holds VM " + vm->id).response();
  return Response::text(200, reply.content(), "application/octet-stream")
      .with_header("ETag", "\"" + reply.sha256() + "\"");
}

}  // namespace aether::api
