#include "image_defaults.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace aether::vm_agent {
namespace {

template <class T>
bool parse_number(const std::string& s, T& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

ImageDefaults parse_image_defaults(const std::string& text, std::vector<std::string>& problems) {
  ImageDefaults out;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    auto problem = [&](const std::string& what) {
      problems.push_back("line " + std::to_string(number) + ": " + what);
    };
    if (key == "env") {
      const auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0) {
        problem("env needs KEY=VALUE, got '" + value + "'");
        continue;
      }
      out.env[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (key == "workdir" || key == "home") {
      if (value.empty() || value[0] != '/') {
        problem(key + " must be an absolute path, got '" + value + "'");
        continue;
      }
      (key == "workdir" ? out.workdir : out.home) = value;
    } else if (key == "user") {
      const auto sep = value.find(' ');
      uid_t uid = 0;
      gid_t gid = 0;
      if (sep == std::string::npos || !parse_number(value.substr(0, sep), uid) ||
          !parse_number(value.substr(sep + 1), gid)) {
        problem("user needs 'UID GID' (numbers), got '" + value + "'");
        continue;
      }
      out.uid = uid;
      out.gid = gid;
    } else if (key == "groups") {
      std::vector<gid_t> groups;
      std::istringstream items(value);
      std::string item;
      bool ok = true;
      while (std::getline(items, item, ',')) {
        gid_t g = 0;
        if (!parse_number(item, g)) {
          problem("groups needs numbers separated by ',', got '" + value + "'");
          ok = false;
          break;
        }
        groups.push_back(g);
      }
      if (ok) out.groups = std::move(groups);
    } else {
      problem("unknown setting '" + key + "'");
    }
  }
  return out;
}

std::optional<ImageDefaults> load_image_defaults(const std::string& root,
                                                 std::vector<std::string>& problems) {
  std::ifstream in(root + "/.aether/image.conf");
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_image_defaults(text.str(), problems);
}

}  // namespace aether::vm_agent
