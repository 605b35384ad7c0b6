#include "vm_json.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "aether/rest/json_body.hpp"

namespace aether::api {

using nlohmann::json;

std::expected<v1::VmSpec, rest::Problem> parse_vm_spec(const json& body) {
  rest::FieldReader r(body);
  v1::VmSpec spec;
  auto tmpl = r.string("template", 64);
  if (tmpl) {
    const bool ok = !tmpl->empty() && std::all_of(tmpl->begin(), tmpl->end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    });
    if (!ok) r.add_error("template", "must be 1..64 of [a-z0-9._-]");
  }
  spec.set_template_(tmpl.value_or(std::string(kDefaultTemplate)));
  spec.set_vcpus(static_cast<std::uint32_t>(r.uint("vcpus", 1, 16).value_or(kDefaultVcpus)));
  spec.set_memory_mib(
      static_cast<std::uint32_t>(r.uint("memoryMib", 64, 65536).value_or(kDefaultMemoryMib)));
  spec.set_ttl_seconds(
      static_cast<std::uint32_t>(r.uint("ttlSeconds", 0, 604800).value_or(kDefaultTtlSeconds)));
  spec.set_idle_timeout_seconds(static_cast<std::uint32_t>(
      r.uint("idleTimeoutSeconds", 0, 604800).value_or(kDefaultIdleTimeoutSeconds)));
  spec.set_network(r.boolean("network").value_or(false));
  if (auto egress = r.string_list("egressAllow", 64)) {
    for (auto& e : *egress) spec.add_egress_allow(e);
    if (!egress->empty() && !spec.network()) {
      r.add_error("egressAllow", "needs network: true");
    }
  }
  if (auto env = r.string_map("env", 128)) {
    for (auto& [k, v] : *env) {
      if (k.empty() || k.find('=') != std::string::npos) {
        r.add_error("env." + k, "a variable name must be non-empty and hold no '='");
      }
      (*spec.mutable_env())[k] = v;
    }
  }
  if (auto labels = r.string_map("labels", 64)) {
    for (auto& [k, v] : *labels) {
      if (k.empty() || k.size() > 63 || k.find('=') != std::string::npos) {
        r.add_error("labels." + k, "a label key must be 1..63 characters without '='");
      }
      if (v.size() > 256) r.add_error("labels." + k, "a label value must be at most 256 bytes");
      (*spec.mutable_labels())[k] = v;
    }
  }
  if (auto problem = r.finish("invalid VmSpec")) return std::unexpected(std::move(*problem));
  return spec;
}

std::string spec_to_json(const v1::VmSpec& spec) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(spec, &out, options);
  return out;
}

json vm_to_json(const VmRecord& vm) {
  json spec = json::parse(vm.spec_json.empty() ? "{}" : vm.spec_json, nullptr, false);
  if (spec.is_discarded()) spec = json::object();
  json out = {{"id", vm.id},
              {"tenant", vm.tenant_id},
              {"state", vm.state},
              {"spec", spec},
              {"createdAt", vm.created_at},
              {"updatedAt", vm.updated_at},
              {"readyAt", vm.ready_at ? json(*vm.ready_at) : json(nullptr)}};
  if (vm.worker_id) out["workerId"] = *vm.worker_id;
  if (vm.node) out["node"] = *vm.node;
  if (vm.reason) out["reason"] = *vm.reason;
  if (vm.runtime) out["runtime"] = *vm.runtime;
  if (vm.accelerated) out["accelerated"] = *vm.accelerated;
  return out;
}

json event_to_json(const VmEventRecord& e) {
  json out = {{"sequence", e.stream_seq}, {"vmId", e.vm_id}, {"state", e.state}, {"at", e.at}};
  if (e.previous_state) out["previousState"] = *e.previous_state;
  if (e.reason) out["reason"] = *e.reason;
  if (e.worker_id) out["workerId"] = *e.worker_id;
  if (e.node) out["node"] = *e.node;
  return out;
}

std::optional<json> event_to_json(std::int64_t stream_seq, const v1::VmEvent& e) {
  constexpr std::string_view kPrefix = "VM_STATE_";
  auto state_name = [&](v1::VmState s) -> std::optional<std::string> {
    if (s == v1::VM_STATE_UNSPECIFIED || !v1::VmState_IsValid(s)) return std::nullopt;
    std::string name = v1::VmState_Name(s);
    return name.starts_with(kPrefix) ? name.substr(kPrefix.size()) : name;
  };
  auto state = state_name(e.state());
  if (e.vm_id().empty() || !state) return std::nullopt;
  auto some = [](const std::string& v) { return v.empty() ? std::nullopt : std::optional(v); };
  VmEventRecord record{
      .stream_seq = stream_seq,
      .vm_id = e.vm_id(),
      .state = *state,
      .previous_state = state_name(e.previous_state()),
      .reason = some(e.reason()),
      .worker_id = some(e.worker_id()),
      .node = some(e.node()),
      .at = e.has_at() ? google::protobuf::util::TimeUtil::ToString(e.at()) : std::string()};
  json out = event_to_json(record);
  if (record.at.empty()) out.erase("at");
  return out;
}

rest::Problem store_problem(const StoreError& error) {
  std::vector<rest::FieldError> fields;
  if (!error.field.empty()) fields.push_back({error.field, error.message});
  switch (error.code) {
    case StoreErrc::kUnavailable:
      return rest::Problem::unavailable(error.message, 2);
    case StoreErrc::kNotFound:
      return rest::Problem::not_found(error.message);
    case StoreErrc::kConflict:
      return rest::Problem::conflict(error.message);
    case StoreErrc::kInvalid:
      return rest::Problem::unprocessable(error.message, fields);
    case StoreErrc::kQuotaExceeded: {
      // 403, not 429: waiting does not help, freeing VMs (or a larger quota)
      // does; the type tells it from a missing scope.
      auto p = rest::Problem::forbidden("quota exceeded: " + error.message);
      p.type = std::string(kQuotaExceededType);
      p.title = "Quota exceeded";
      p.errors = fields;
      return p;
    }
    case StoreErrc::kInternal:
      break;
  }
  return rest::Problem::internal(error.message);
}

rest::Problem bus_problem(const bus::Error& error, const std::string& what) {
  switch (error.code) {
    case bus::Errc::kNoResponders:
      return rest::Problem::conflict(what);
    case bus::Errc::kTimeout:
      return rest::Problem::gateway_timeout("the worker did not answer in time");
    case bus::Errc::kNotConnected:
      return rest::Problem::unavailable("NATS is unreachable", 2);
    case bus::Errc::kServiceError: {
      const int code = error.service_code;
      if (code >= 400 && code < 500) {
        rest::Problem p;
        p.status = code;
        p.title = rest::reason_phrase(code);
        p.detail = error.message;
        return p;
      }
      rest::Problem p;
      p.status = 502;
      p.title = rest::reason_phrase(502);
      p.detail = "the worker failed: " + error.message;
      return p;
    }
    default:
      break;
  }
  return rest::Problem::unavailable("bus call failed: " + error.message, 2);
}

std::string sanitize_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xe  ? 3
                      : (c >> 3) == 0x1e ? 4
                                         : 0;
    bool ok = len > 0 && i + len <= in.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(in[i + k]) & 0xc0) == 0x80;
    }
    if (ok && len == 2) ok = c >= 0xc2;
    if (ok && len == 3) {
      const auto c1 = static_cast<unsigned char>(in[i + 1]);
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
    }
    if (ok && len == 4) {
      const auto c1 = static_cast<unsigned char>(in[i + 1]);
      ok = c <= 0xf4 && !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

namespace {
constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    const std::uint32_t n = (static_cast<unsigned char>(in[i]) << 16) |
                            (static_cast<unsigned char>(in[i + 1]) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
    i += 3;
  }
  if (i < in.size()) {
    std::uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '=') {
      if (i + 2 < in.size()) return std::nullopt;
      ++pad;
      continue;
    }
    if (pad > 0) return std::nullopt;
    const auto pos = kB64.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace aether::api
