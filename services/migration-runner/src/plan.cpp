#include "plan.hpp"

#include <algorithm>
#include <map>

namespace aether::migrate {

const char* to_string(MigrationState state) {
  switch (state) {
    case MigrationState::kApplied:
      return "applied";
    case MigrationState::kPending:
      return "pending";
    case MigrationState::kChanged:
      return "changed";
    case MigrationState::kMissing:
      return "missing";
    case MigrationState::kOutOfOrder:
      return "out-of-order";
  }
  return "unknown";
}

bool StatusReport::drift() const {
  return std::any_of(rows.begin(), rows.end(), [](const StatusRow& r) {
    return r.state == MigrationState::kChanged || r.state == MigrationState::kMissing ||
           r.state == MigrationState::kOutOfOrder;
  });
}

std::size_t StatusReport::pending() const {
  return static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), [](const StatusRow& r) {
    return r.state == MigrationState::kPending;
  }));
}

std::vector<std::string> StatusReport::problems() const {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    std::string id = std::to_string(r.version) + " (" + r.name + ")";
    switch (r.state) {
      case MigrationState::kChanged:
        out.push_back("migration " + id + " was edited after it was applied: " + r.origin +
                      " has sha256 " + r.file_checksum.substr(0, 12) + ", applied " +
                      r.applied->checksum.substr(0, 12) +
                      "; restore the file and put the change in a new migration");
        break;
      case MigrationState::kMissing:
        out.push_back("migration " + id + " is applied (by " + r.applied->applied_by + " at " +
                      r.applied->applied_at + ") but no file has that version");
        break;
      case MigrationState::kOutOfOrder:
        out.push_back("migration " + id + " is not applied but newer version " +
                      std::to_string(current_version) +
                      " is: history out of order; renumber it above " +
                      std::to_string(current_version));
        break;
      default:
        break;
    }
  }
  return out;
}

StatusReport compare(const std::vector<Migration>& files,
                     const std::vector<AppliedRecord>& applied) {
  StatusReport report;
  std::map<std::int64_t, StatusRow> rows;
  for (const auto& a : applied) {
    report.current_version = std::max(report.current_version, a.version);
    StatusRow row;
    row.version = a.version;
    row.name = a.name;
    row.state = MigrationState::kMissing;
    row.applied = a;
    rows[a.version] = std::move(row);
  }
  for (const auto& f : files) {
    report.latest_version = std::max(report.latest_version, f.version);
    auto it = rows.find(f.version);
    if (it != rows.end()) {
      auto& row = it->second;
      row.name = f.name;
      row.origin = f.origin;
      row.file_checksum = f.checksum;
      row.state =
          row.applied->checksum == f.checksum ? MigrationState::kApplied : MigrationState::kChanged;
      continue;
    }
    StatusRow row;
    row.version = f.version;
    row.name = f.name;
    row.origin = f.origin;
    row.file_checksum = f.checksum;
    row.state =
        f.version < report.current_version ? MigrationState::kOutOfOrder : MigrationState::kPending;
    rows[f.version] = std::move(row);
  }
  for (auto& [version, row] : rows) report.rows.push_back(std::move(row));
  return report;
}

Result<std::vector<const Migration*>> plan_up(const std::vector<Migration>& files,
                                              const StatusReport& report,
                                              std::optional<std::int64_t> target) {
  if (report.drift()) {
    auto problems = report.problems();
    std::string msg = "refusing to migrate: " + problems.front();
    if (problems.size() > 1) msg += " (and " + std::to_string(problems.size() - 1) + " more)";
    return make_error(Errc::kDrift, msg);
  }
  if (target) {
    if (*target < report.current_version) {
      return make_error(Errc::kBadConfig,
                        "--to " + std::to_string(*target) + " is below the current version " +
                            std::to_string(report.current_version) +
                            ": down migrations are not supported; write a new migration that "
                            "reverts the change");
    }
    bool known = *target == report.current_version ||
                 std::any_of(files.begin(), files.end(),
                             [&](const Migration& m) { return m.version == *target; });
    if (!known) {
      return make_error(Errc::kBadConfig, "--to " + std::to_string(*target) +
                                              ": no migration has that version (latest is " +
                                              std::to_string(report.latest_version) + ")");
    }
  }
  std::vector<const Migration*> out;
  for (const auto& f : files) {
    if (f.version <= report.current_version) continue;
    if (target && f.version > *target) break;
    out.push_back(&f);
  }
  return out;
}

}  // namespace aether::migrate
