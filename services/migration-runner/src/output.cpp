#include "output.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace aether::migrate {

void print_up(std::ostream& out, const UpOutcome& o) {
  if (o.applied.empty()) {
    out << "schema at version " << o.to_version << ": nothing to apply\n";
    return;
  }
  for (const auto& a : o.applied) {
    out << fmt::format("applied {:04} {} in {} ms (sha256 {})\n", a.version, a.name, a.duration_ms,
                       a.checksum.substr(0, 12));
  }
  out << fmt::format("schema migrated {} -> {} ({} applied, {} ms{})\n", o.from_version,
                     o.to_version, o.applied.size(), o.duration_ms,
                     o.published ? ", event published" : "");
}

void print_status_table(std::ostream& out, const StatusReport& r) {
  out << fmt::format("{:<8} {:<32} {:<13} {:<25} {:>9}  {:<24} {}\n", "VERSION", "NAME", "STATE",
                     "APPLIED AT", "DURATION", "APPLIED BY", "SHA256");
  for (const auto& row : r.rows) {
    std::string at = row.applied ? row.applied->applied_at : "-";
    std::string dur = row.applied ? std::to_string(row.applied->duration_ms) + " ms" : "-";
    std::string by = row.applied ? row.applied->applied_by : "-";
    std::string sum = !row.file_checksum.empty() ? row.file_checksum.substr(0, 12)
                                                 : row.applied->checksum.substr(0, 12);
    if (row.state == MigrationState::kChanged) {
      sum += " (applied " + row.applied->checksum.substr(0, 12) + ")";
    }
    out << fmt::format("{:<8} {:<32} {:<13} {:<25} {:>9}  {:<24} {}\n",
                       fmt::format("{:04}", row.version), row.name, to_string(row.state), at, dur,
                       by, sum);
  }
  out << fmt::format("current version {}, latest {}, {} pending{}\n", r.current_version,
                     r.latest_version, r.pending(),
                     r.drift() ? ", DRIFT: run `verify` for details" : "");
}

void print_status_json(std::ostream& out, const StatusReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json j{
        {"version", row.version},
        {"name", row.name},
        {"state", to_string(row.state)},
        {"file_sha256",
         row.file_checksum.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.file_checksum)}};
    if (row.applied) {
      j["applied_sha256"] = row.applied->checksum;
      j["applied_at"] = row.applied->applied_at;
      j["duration_ms"] = row.applied->duration_ms;
      j["applied_by"] = row.applied->applied_by;
    }
    rows.push_back(std::move(j));
  }
  nlohmann::json doc{{"current_version", r.current_version},
                     {"latest_version", r.latest_version},
                     {"pending", r.pending()},
                     {"drift", r.drift()},
                     {"problems", r.problems()},
                     {"migrations", rows}};
  out << doc.dump(2) << "\n";
}

void print_plan(std::ostream& out, const std::vector<const Migration*>& plan) {
  if (plan.empty()) {
    out << "nothing to apply\n";
    return;
  }
  for (const Migration* m : plan) {
    out << fmt::format("{:04} {} ({}, sha256 {})\n", m->version, m->name,
                       m->no_transaction ? "outside a transaction" : "in a transaction",
                       m->checksum.substr(0, 12));
  }
  out << plan.size() << " migration(s) would be applied\n";
}

}  // namespace aether::migrate
