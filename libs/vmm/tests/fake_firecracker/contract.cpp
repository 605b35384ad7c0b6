#include "contract.hpp"

#include <map>
#include <set>
#include <vector>

namespace aether::vmm::fake {
namespace {

enum class Type { kString, kInteger, kBoolean, kObject, kArray };

struct Field {
  Type type;
  bool required = false;
  std::vector<std::string> enum_values = {};
  long long minimum = 0;
  bool has_minimum = false;
  // kObject: the schema of the value; kArray: of each item (empty: any object).
  std::string schema = {};
};

using Schema = std::map<std::string, Field>;

const std::map<std::string, Schema>& schemas() {
  static const std::map<std::string, Schema> kSchemas = {
      {"MachineConfiguration",
       {{"vcpu_count", {Type::kInteger, true, {}, 1, true}},
        {"mem_size_mib", {Type::kInteger, true, {}, 1, true}},
        {"smt", {Type::kBoolean}},
        {"track_dirty_pages", {Type::kBoolean}},
        {"cpu_template",
         {Type::kString, false, {"C3", "T2", "T2S", "T2CL", "T2A", "V1N1", "None"}}},
        {"huge_pages", {Type::kString, false, {"None", "2M"}}}}},
      {"BootSource",
       {{"kernel_image_path", {Type::kString, true}},
        {"initrd_path", {Type::kString}},
        {"boot_args", {Type::kString}}}},
      {"Drive",
       {{"drive_id", {Type::kString, true}},
        {"is_root_device", {Type::kBoolean, true}},
        {"partuuid", {Type::kString}},
        {"cache_type", {Type::kString, false, {"Unsafe", "Writeback"}}},
        {"is_read_only", {Type::kBoolean}},
        {"path_on_host", {Type::kString}},
        {"rate_limiter", {Type::kObject}},
        {"io_engine", {Type::kString, false, {"Sync", "Async"}}},
        {"socket", {Type::kString}}}},
      {"NetworkInterface",
       {{"iface_id", {Type::kString, true}},
        {"host_dev_name", {Type::kString, true}},
        {"guest_mac", {Type::kString}},
        {"rx_rate_limiter", {Type::kObject}},
        {"tx_rate_limiter", {Type::kObject}}}},
      {"Vsock",
       {{"guest_cid", {Type::kInteger, true, {}, 3, true}},
        {"uds_path", {Type::kString, true}},
        {"vsock_id", {Type::kString}}}},
      {"InstanceActionInfo",
       {{"action_type",
         {Type::kString, true, {"FlushMetrics", "InstanceStart", "SendCtrlAltDel"}}}}},
      {"Vm", {{"state", {Type::kString, true, {"Paused", "Resumed"}}}}},
      {"SnapshotCreateParams",
       {{"mem_file_path", {Type::kString, true}},
        {"snapshot_path", {Type::kString, true}},
        {"snapshot_type", {Type::kString, false, {"Full", "Diff"}}}}},
      {"MemoryBackend",
       {{"backend_type", {Type::kString, true, {"File", "Uffd"}}},
        {"backend_path", {Type::kString, true}}}},
      {"NetworkOverride",
       {{"iface_id", {Type::kString, true}}, {"host_dev_name", {Type::kString, true}}}},
      {"VsockOverride", {{"uds_path", {Type::kString, true}}}},
      {"SnapshotLoadParams",
       {{"snapshot_path", {Type::kString, true}},
        {"enable_diff_snapshots", {Type::kBoolean}},
        {"track_dirty_pages", {Type::kBoolean}},
        {"mem_file_path", {Type::kString}},
        {"mem_backend", {Type::kObject, false, {}, 0, false, "MemoryBackend"}},
        {"resume_vm", {Type::kBoolean}},
        {"network_overrides", {Type::kArray, false, {}, 0, false, "NetworkOverride"}},
        {"vsock_override", {Type::kObject, false, {}, 0, false, "VsockOverride"}},
        {"clock_realtime", {Type::kBoolean}}}},
  };
  return kSchemas;
}

std::optional<std::string> check_object(const std::string& schema_name, const nlohmann::json& out) {
  if (!out.is_object()) return "body must be a JSON object (" + schema_name + ")";
  const Schema& schema = schemas().at(schema_name);
  for (const auto& [name, field] : schema) {
    if (field.required && !out.contains(name)) {
      return schema_name + ": missing required field `" + name + "`";
    }
  }
  for (const auto& [name, value] : out.items()) {
    auto it = schema.find(name);
    if (it == schema.end()) return schema_name + ": unknown field `" + name + "`";
    const Field& field = it->second;
    bool ok = false;
    switch (field.type) {
      case Type::kString:
        ok = value.is_string();
        break;
      case Type::kInteger:
        ok = value.is_number_integer();
        break;
      case Type::kBoolean:
        ok = value.is_boolean();
        break;
      case Type::kObject:
        ok = value.is_object();
        break;
      case Type::kArray:
        ok = value.is_array();
        break;
    }
    if (!ok) return schema_name + ": field `" + name + "` has the wrong type";
    if (!field.enum_values.empty() &&
        std::find(field.enum_values.begin(), field.enum_values.end(), value.get<std::string>()) ==
            field.enum_values.end()) {
      return schema_name + ": field `" + name + "` is not one of the allowed values";
    }
    if (field.has_minimum && value.get<long long>() < field.minimum) {
      return schema_name + ": field `" + name + "` is below its minimum " +
             std::to_string(field.minimum);
    }
    if (!field.schema.empty()) {
      if (field.type == Type::kObject) {
        if (auto bad = check_object(field.schema, value))
          return schema_name + "." + name + ": " + *bad;
      } else {
        for (const auto& item : value) {
          if (auto bad = check_object(field.schema, item))
            return schema_name + "." + name + ": " + *bad;
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_body(const std::string& schema_name, const std::string& body,
                                      nlohmann::json& out) {
  out = nlohmann::json::parse(body, nullptr, false);
  if (out.is_discarded()) return "body is not JSON";
  return check_object(schema_name, out);
}

}  // namespace

std::optional<std::string> check_request(const std::string& method, const std::string& path,
                                         const std::string& body) {
  nlohmann::json json;
  if (method == "GET" && (path == "/" || path == "/machine-config" || path == "/version")) {
    return std::nullopt;
  }
  if (method == "PATCH" && path == "/vm") return check_body("Vm", body, json);
  if (method != "PUT") return "method " + method + " not allowed on " + path;
  if (path == "/snapshot/create") return check_body("SnapshotCreateParams", body, json);
  if (path == "/snapshot/load") {
    if (auto bad = check_body("SnapshotLoadParams", body, json)) return bad;
    // "Exactly one of the two `mem_*` fields must be present."
    if (json.contains("mem_file_path") == json.contains("mem_backend")) {
      return "SnapshotLoadParams: exactly one of `mem_file_path` and `mem_backend` must be given";
    }
    return std::nullopt;
  }
  if (path == "/machine-config") return check_body("MachineConfiguration", body, json);
  if (path == "/boot-source") return check_body("BootSource", body, json);
  if (path == "/vsock") return check_body("Vsock", body, json);
  if (path == "/actions") return check_body("InstanceActionInfo", body, json);
  for (const auto& [prefix, schema, id_field] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"/drives/", "Drive", "drive_id"},
           {"/network-interfaces/", "NetworkInterface", "iface_id"}}) {
    if (path.rfind(prefix, 0) == 0 && path.size() > prefix.size()) {
      if (auto bad = check_body(schema, body, json)) return bad;
      if (json[id_field] != path.substr(prefix.size())) {
        return schema + ": `" + id_field + "` must equal the id in the path";
      }
      return std::nullopt;
    }
  }
  return "unknown path " + path;
}

}  // namespace aether::vmm::fake
