#include "vm_commands.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "aether/digest/sha256.hpp"
#include "base64.hpp"
#include "bus_commands.hpp"

namespace aether::ctl {
namespace {

using Clock = std::chrono::steady_clock;

const std::vector<Column> kVmColumns = {{"ID", "/id"},
                                        {"STATE", "/state"},
                                        {"TEMPLATE", "/spec/template"},
                                        {"VCPUS", "/spec/vcpus"},
                                        {"MEMORY_MIB", "/spec/memoryMib"},
                                        {"WORKER", "/workerId"},
                                        {"CREATED", "/createdAt"}};

bool is_final(const std::string& state) {
  return state == "FAILED" || state == "STOPPED" || state == "DELETED";
}

std::string vm_path(Context& ctx, const std::string& vm) {
  return "/v1/vms/" + ctx.api().escape(vm);
}

std::string state_of(const Json& vm) {
  auto s = vm.value("state", std::string());
  if (s.starts_with("VM_STATE_")) s = s.substr(9);
  return s;
}

Result<std::string> read_input(const std::string& path) {
  std::stringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(kExitUsage, path + ": cannot be read");
    buffer << in.rdbuf();
  }
  return buffer.str();
}

// Polls the VM until it reaches `target` (or a final state), printing each
// state it passes through on stderr, so a boot shows its progress.
Result<Json> follow_states(Context& ctx, const std::string& vm, const std::string& target,
                           double timeout_seconds, std::string last_state) {
  auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
  auto start = Clock::now();
  for (;;) {
    auto current = ctx.api().call("GET", vm_path(ctx, vm));
    if (!current) return std::unexpected(current.error());
    std::string state = state_of(*current);
    if (state != last_state) {
      double t = std::chrono::duration<double>(Clock::now() - start).count();
      ctx.err() << "  " << (state.empty() ? "?" : state);
      if (auto w = current->value("workerId", std::string()); !w.empty() && state == "SCHEDULED") {
        ctx.err() << " on " << w;
      }
      if (auto r = current->value("reason", std::string()); !r.empty()) ctx.err() << ": " << r;
      ctx.err() << " (" << static_cast<int>(t * 1000) / 1000.0 << " s)\n";
      last_state = state;
    }
    if (state == target) return *current;
    if (is_final(state) && state != target) {
      return fail(kExitConflict,
                  "vm " + vm + " is " + state +
                      (current->contains("reason") ? ": " + current->value("reason", std::string())
                                                   : std::string()));
    }
    if (Clock::now() >= deadline) {
      return fail(kExitUnavailable, "vm " + vm + " is still " + state + " after " +
                                        std::to_string(static_cast<int>(timeout_seconds)) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

int guest_exit_code(const Json& status) {
  if (status.value("timedOut", false)) return 124;  // as timeout(1)
  int signal = status.value("signal", 0);
  if (signal > 0) return 128 + signal;
  return status.value("exitCode", 0) & 0xff;
}

// Output is always asked for in base64, so bytes reach stdout unchanged.
void write_chunk(Context& ctx, const Json& line) {
  std::string data = base64_decode(line.value("data", std::string()));
  auto stream = line.value("stream", std::string("stdout"));
  auto& sink = (stream == "stderr" || stream == "STREAM_STDERR") ? ctx.err() : ctx.out();
  sink << data << std::flush;
}

// over_rest: the api's ExecRequest (with "encoding"); else the bus's
// (proto3 JSON, where bytes are base64 anyway).
Json exec_body(const ExecOptions& o, const Json& env, const std::string& stdin_data,
               bool over_rest) {
  Json body = {{"argv", o.argv}};
  if (over_rest) body["encoding"] = "base64";
  if (!env.empty()) body["env"] = env;
  if (!o.cwd.empty()) body["cwd"] = o.cwd;
  if (!stdin_data.empty()) body["stdin"] = base64_encode(stdin_data);
  if (o.timeout_seconds > 0) body["timeoutMs"] = static_cast<long long>(o.timeout_seconds * 1000);
  return body;
}

// A POST with an Idempotency-Key: a retry with the same key and body gets the
// first answer again instead of a second VM.
Result<Json> post_idempotent(Context& ctx, const std::string& path, const Json& body,
                             const std::string& key) {
  auto response = ctx.api().raw("POST", path, {}, body.dump(), "application/json",
                                {{"Idempotency-Key", key}, {"Accept", "application/json"}});
  if (!response) return std::unexpected(response.error());
  Json parsed = Json::parse(response->body, nullptr, false);
  if (!parsed.is_object())
    return fail(kExitServer, "POST " + path + ": the answer is not a JSON object");
  return parsed;
}

}  // namespace

Result<Json> key_values(const std::string& flag, const std::vector<std::string>& items) {
  Json out = Json::object();
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail(kExitUsage, flag + " " + item + ": expected KEY=VALUE");
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

std::optional<std::pair<std::string, std::string>> split_remote(const std::string& arg) {
  auto colon = arg.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  if (arg.find('/') < colon) return std::nullopt;  // ./a:b is a local file
  return std::make_pair(arg.substr(0, colon), arg.substr(colon + 1));
}

Result<int> vm_create(Context& ctx, const CreateOptions& o) {
  Json spec = {{"template", o.template_name}};
  if (o.vcpus > 0) spec["vcpus"] = o.vcpus;
  if (o.memory_mib > 0) spec["memoryMib"] = o.memory_mib;
  if (o.ttl_seconds > 0) spec["ttlSeconds"] = o.ttl_seconds;
  if (o.idle_timeout_seconds > 0) spec["idleTimeoutSeconds"] = o.idle_timeout_seconds;
  if (o.network) spec["network"] = true;
  if (!o.egress_allow.empty()) spec["egressAllow"] = o.egress_allow;
  auto env = key_values("--env", o.env);
  if (!env) return std::unexpected(env.error());
  if (!env->empty()) spec["env"] = *env;
  auto labels = key_values("--label", o.labels);
  if (!labels) return std::unexpected(labels.error());
  if (!labels->empty()) spec["labels"] = *labels;

  if (ctx.settings().bus) {
    std::string vm_id = new_uuid_v7();
    Json create = {{"vmId", vm_id},
                   {"tenant", ctx.settings().tenant},
                   {"requestId", new_uuid_v7()},
                   {"spec", spec}};
    BusSendOptions send{.subject = "aether.cmd.vm.create", .json = create.dump()};
    auto r = bus_publish(ctx, send);
    if (!r) return r;
    ctx.err() << "vm " << vm_id << " requested on the bus\n";
    return kExitOk;
  }
  Result<Json> vm = o.idempotency_key.empty()
                        ? ctx.api().call("POST", "/v1/vms", spec)
                        : post_idempotent(ctx, "/v1/vms", spec, o.idempotency_key);
  if (!vm) return std::unexpected(vm.error());
  if (!o.wait) {
    print_object(ctx.out(), ctx.format(), *vm);
    return kExitOk;
  }
  std::string id = vm->value("id", std::string());
  ctx.err() << "vm " << id << ":\n";
  auto ready = follow_states(ctx, id, "READY", o.wait_timeout_seconds, "");
  if (!ready) return std::unexpected(ready.error());
  print_object(ctx.out(), ctx.format(), *ready);
  return kExitOk;
}

// The page's nextCursor; "" on the last page (the api sends null there).
static std::string next_cursor(const Json& page) {
  auto it = page.find("nextCursor");
  return it != page.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<int> vm_list(Context& ctx, const ListOptions& o) {
  Query query;
  if (!o.state.empty()) query.emplace_back("state", o.state);
  for (const auto& l : o.labels) query.emplace_back("label", l);
  if (o.limit > 0) query.emplace_back("limit", std::to_string(o.limit));
  Json all = Json::array();
  Json last;
  for (;;) {
    auto page = ctx.api().call("GET", "/v1/vms", std::nullopt, query);
    if (!page) return std::unexpected(page.error());
    for (const auto& vm : page->value("vms", Json::array())) all.push_back(vm);
    last = *page;
    std::string cursor = next_cursor(*page);
    if (!o.all || cursor.empty()) break;
    std::erase_if(query, [](const auto& kv) { return kv.first == "cursor"; });
    query.emplace_back("cursor", cursor);
  }
  Json doc = o.all ? Json{{"vms", all}} : last;
  print_rows(ctx.out(), ctx.format(), doc, all, kVmColumns);
  if (ctx.format() == OutputFormat::kTable && !o.all && !next_cursor(last).empty()) {
    ctx.err() << "(more: --all, or --cursor " << next_cursor(last) << ")\n";
  }
  return kExitOk;
}

Result<int> vm_get(Context& ctx, const std::string& vm) {
  auto answer = ctx.settings().bus ? bus_call(ctx, "aether.vm." + vm + ".status", Json::object())
                                   : ctx.api().call("GET", vm_path(ctx, vm));
  if (!answer) return std::unexpected(answer.error());
  print_object(ctx.out(), ctx.format(), *answer);
  return kExitOk;
}

Result<int> vm_events(Context& ctx, const std::string& vm) {
  auto answer = ctx.api().call("GET", vm_path(ctx, vm) + "/events");
  if (!answer) return std::unexpected(answer.error());
  Json rows = answer->value("events", Json::array());
  print_rows(ctx.out(), ctx.format(), *answer, rows,
             {{"SEQ", "/sequence"},
              {"AT", "/at"},
              {"STATE", "/state"},
              {"WORKER", "/workerId"},
              {"REASON", "/reason"}});
  return kExitOk;
}

Result<int> vm_exec(Context& ctx, const ExecOptions& o) {
  if (o.argv.empty()) return fail(kExitUsage, "exec: give the command after --, e.g. -- uname -a");
  auto env = key_values("--env", o.env);
  if (!env) return std::unexpected(env.error());
  std::string stdin_data;
  if (!o.stdin_file.empty()) {
    auto data = read_input(o.stdin_file);
    if (!data) return std::unexpected(data.error());
    stdin_data = std::move(*data);
  }
  Json body = exec_body(o, *env, stdin_data, !ctx.settings().bus);
  if (ctx.settings().bus || o.collect) {
    auto reply = ctx.settings().bus ? bus_call(ctx, "aether.vm." + o.vm + ".exec", body)
                                    : ctx.api().call("POST", vm_path(ctx, o.vm) + "/exec", body);
    if (!reply) return std::unexpected(reply.error());
    if (ctx.format() != OutputFormat::kTable) {
      print_object(ctx.out(), ctx.format(), *reply);
      return guest_exit_code(*reply);
    }
    auto text = [&](const char* field) {
      return base64_decode(reply->value(field, std::string()));
    };
    ctx.out() << text("stdout") << std::flush;
    ctx.err() << text("stderr") << std::flush;
    return guest_exit_code(*reply);
  }
  std::optional<Json> final_status;
  auto response = ctx.api().lines(
      "POST", vm_path(ctx, o.vm) + "/exec", body, {}, {{"Accept", "application/x-ndjson"}},
      std::chrono::milliseconds(0), [&](std::string_view line) {
        if (line.empty()) return true;
        Json item = Json::parse(line, nullptr, false);
        if (!item.is_object()) return true;
        if (item.contains("exitCode") || item.contains("timedOut") || item.contains("error")) {
          final_status = item;
          return false;
        }
        write_chunk(ctx, item);
        return true;
      });
  if (!response) return std::unexpected(response.error());
  if (!final_status) return fail(kExitUnavailable, "the exec stream ended without an exit status");
  if (final_status->contains("error")) {
    const Json& e = (*final_status)["error"];
    return fail(exit_code_for_status(e.value("status", 500)),
                e.value("detail", e.value("title", std::string("exec failed"))));
  }
  if (ctx.format() != OutputFormat::kTable) print_object(ctx.out(), ctx.format(), *final_status);
  return guest_exit_code(*final_status);
}

Result<int> vm_stop(Context& ctx, const std::string& vm, int grace_seconds) {
  Json body = Json::object();
  if (grace_seconds > 0) body["graceSeconds"] = grace_seconds;
  auto answer = ctx.settings().bus ? bus_call(ctx, "aether.vm." + vm + ".stop", body)
                                   : ctx.api().call("POST", vm_path(ctx, vm) + "/stop", body);
  if (!answer) return std::unexpected(answer.error());
  print_object(ctx.out(), ctx.format(), *answer);
  return kExitOk;
}

Result<int> vm_pause_or_resume(Context& ctx, const std::string& vm, const std::string& op) {
  auto answer = ctx.settings().bus
                    ? bus_call(ctx, "aether.vm." + vm + "." + op, Json::object())
                    : ctx.api().call("POST", vm_path(ctx, vm) + "/" + op, Json::object());
  if (!answer) return std::unexpected(answer.error());
  print_object(ctx.out(), ctx.format(), *answer);
  return kExitOk;
}

Result<int> vm_delete(Context& ctx, const std::string& vm) {
  auto answer = ctx.settings().bus ? bus_call(ctx, "aether.vm." + vm + ".delete", Json::object())
                                   : ctx.api().call("DELETE", vm_path(ctx, vm));
  if (!answer) return std::unexpected(answer.error());
  print_object(ctx.out(), ctx.format(), *answer);
  return kExitOk;
}

Result<int> vm_wait(Context& ctx, const WaitOptions& o) {
  std::string target = o.state;
  for (auto& c : target) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto vm = follow_states(ctx, o.vm, target, o.timeout_seconds, "");
  if (!vm) return std::unexpected(vm.error());
  print_object(ctx.out(), ctx.format(), *vm);
  return kExitOk;
}

Result<int> copy(Context& ctx, const std::string& source, const std::string& dest) {
  auto from = split_remote(source);
  auto to = split_remote(dest);
  if (from.has_value() == to.has_value()) {
    return fail(kExitUsage, "cp: exactly one side must be VM:/path (e.g. cp ./f VM:/tmp/f)");
  }
  if (to) {
    auto data = read_input(source);
    if (!data) return std::unexpected(data.error());
    auto response = ctx.api().raw("PUT", vm_path(ctx, to->first) + "/files", {{"path", to->second}},
                                  *data, "application/octet-stream");
    if (!response) return std::unexpected(response.error());
    ctx.err() << data->size() << " bytes to " << to->first << ":" << to->second << "\n";
    return kExitOk;
  }
  auto response =
      ctx.api().raw("GET", vm_path(ctx, from->first) + "/files", {{"path", from->second}}, "", "");
  if (!response) return std::unexpected(response.error());
  // The ETag is the content's sha256: a truncated transfer is caught here.
  std::string etag = response->header("etag");
  std::erase(etag, '"');
  if (!etag.empty() && etag != digest::sha256_hex(response->body)) {
    return fail(kExitError, "cp: the file's sha256 does not match the api's ETag (truncated?)");
  }
  if (dest == "-") {
    ctx.out() << response->body << std::flush;
    return kExitOk;
  }
  std::ofstream out(dest, std::ios::binary | std::ios::trunc);
  if (!out) return fail(kExitError, dest + ": cannot be written");
  out << response->body;
  if (!out.flush()) return fail(kExitError, dest + ": write failed");
  ctx.err() << response->body.size() << " bytes from " << from->first << ":" << from->second
            << "\n";
  return kExitOk;
}

}  // namespace aether::ctl
