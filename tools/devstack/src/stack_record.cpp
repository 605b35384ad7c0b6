#include "stack_record.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace aether::devstack::cli {
namespace {

Result<void> write_atomically(const std::filesystem::path& file, const std::string& text) {
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) return make_error(Errc::kIo, "cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return make_error(Errc::kIo, "cannot replace " + file.string() + ": " + ec.message());
  return {};
}

// Single quotes survive any shell; a quote inside becomes '\''.
std::string shell_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

size_t order_of(const std::string& name) {
  const auto kind = service_kind(name);
  auto it = std::find(kServiceNames.begin(), kServiceNames.end(), kind);
  return static_cast<size_t>(it - kServiceNames.begin());
}

}  // namespace

std::string nats_node_name(std::size_t i) { return "nats-" + std::to_string(i); }

std::optional<std::size_t> nats_node_index(const std::string& name) {
  constexpr std::string_view prefix = "nats-";
  if (name.size() <= prefix.size() || name.size() > prefix.size() + 2 ||
      !name.starts_with(prefix)) {
    return std::nullopt;
  }
  const auto digits = name.substr(prefix.size());
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::stoul(digits));
}

std::string service_kind(const std::string& name) {
  return nats_node_index(name) ? std::string("nats") : name;
}

std::size_t StackRecord::nats_nodes() const {
  return static_cast<std::size_t>(
      std::count_if(services.begin(), services.end(),
                    [](const auto& s) { return nats_node_index(s.name).has_value(); }));
}

const ServiceRecord* StackRecord::find(const std::string& name) const {
  for (const auto& s : services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

void StackRecord::put(ServiceRecord record) {
  std::erase_if(services, [&](const ServiceRecord& s) { return s.name == record.name; });
  services.push_back(std::move(record));
  std::sort(services.begin(), services.end(), [](const auto& a, const auto& b) {
    const auto oa = order_of(a.name), ob = order_of(b.name);
    if (oa != ob) return oa < ob;
    return nats_node_index(a.name).value_or(0) < nats_node_index(b.name).value_or(0);
  });
}

std::filesystem::path record_file(const std::filesystem::path& dir) { return dir / "stack.json"; }

std::filesystem::path env_file(const std::filesystem::path& dir) { return dir / "stack.env"; }

Result<StackRecord> load_record(const std::filesystem::path& dir) {
  StackRecord record;
  const auto file = record_file(dir);
  if (!std::filesystem::exists(file)) return record;
  std::ifstream in(file);
  try {
    auto json = nlohmann::json::parse(in);
    for (const auto& s : json.at("services")) {
      ServiceRecord r;
      r.name = s.at("name").get<std::string>();
      if (order_of(r.name) == kServiceNames.size()) {
        return make_error(Errc::kInvalidArgument,
                          file.string() + ": unknown service '" + r.name + "'");
      }
      r.pid = s.at("pid").get<pid_t>();
      r.program = s.at("program").get<std::string>();
      r.stop_signal = s.at("stop_signal").get<int>();
      r.port = s.at("port").get<int>();
      r.monitor_port = s.value("monitor_port", 0);
      r.cluster_port = s.value("cluster_port", 0);
      r.env = s.at("env").get<std::map<std::string, std::string>>();
      record.put(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::kInvalidArgument, file.string() + " is not a stack record (" +
                                                  e.what() +
                                                  "); stop its servers by hand and delete it");
  }
  return record;
}

Result<void> save_record(const std::filesystem::path& dir, const StackRecord& record) {
  nlohmann::json services = nlohmann::json::array();
  for (const auto& s : record.services) {
    services.push_back({{"name", s.name},
                        {"pid", s.pid},
                        {"program", s.program},
                        {"stop_signal", s.stop_signal},
                        {"port", s.port},
                        {"monitor_port", s.monitor_port},
                        {"cluster_port", s.cluster_port},
                        {"env", s.env}});
  }
  nlohmann::json json = {{"services", services}};
  if (auto ok = write_atomically(record_file(dir), json.dump(2) + "\n"); !ok) return ok;
  const std::string lines = env_lines(record);
  if (lines.empty()) {
    std::error_code ignored;
    std::filesystem::remove(env_file(dir), ignored);
    return {};
  }
  return write_atomically(env_file(dir), lines);
}

void remove_record(const std::filesystem::path& dir) {
  std::error_code ignored;
  std::filesystem::remove(record_file(dir), ignored);
  std::filesystem::remove(env_file(dir), ignored);
}

std::string env_lines(const StackRecord& record) {
  // In first-seen order, each variable once.
  std::vector<std::pair<std::string, std::string>> vars;
  for (const auto& s : record.services) {
    if (s.pid == 0) continue;  // stopped by `down`
    for (const auto& [name, value] : s.env) {
      auto it =
          std::find_if(vars.begin(), vars.end(), [&](const auto& v) { return v.first == name; });
      if (it == vars.end()) {
        vars.emplace_back(name, value);
      } else {
        it->second += "," + value;
      }
    }
  }
  std::ostringstream out;
  for (const auto& [name, value] : vars)
    out << "export " << name << "=" << shell_quote(value) << "\n";
  return out.str();
}

}  // namespace aether::devstack::cli
