#include "template_routes.hpp"

#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "worker_statuses.hpp"

namespace aether::api {

using nlohmann::json;

rest::Response TemplateRoutes::list(rest::Request&, const Principal&) {
  auto statuses = read_worker_statuses(deps_.bus);
  if (!statuses) return std::move(statuses.error());
  // (name, image id) -> the template and the workers offering it; two workers
  // with different images under one name show as two entries.
  using Key = std::tuple<std::string, std::string>;
  std::map<Key, std::pair<v1::TemplateInfo, std::set<std::string>>> offered;
  for (const auto& status : *statuses) {
    for (const auto& t : status.templates()) {
      auto& entry = offered[Key{t.name(), t.image_id()}];
      entry.first = t;
      entry.second.insert(status.worker_id());
    }
  }
  json templates = json::array();
  for (const auto& [key, entry] : offered) {
    const auto& [info, workers] = entry;
    json t = {{"name", info.name()}, {"workers", json(workers)}};
    if (!info.image_source().empty()) t["imageSource"] = info.image_source();
    if (!info.image_id().empty()) t["imageId"] = info.image_id();
    if (!info.image_digest().empty()) t["imageDigest"] = info.image_digest();
    templates.push_back(std::move(t));
  }
  return rest::Response::json(200, {{"templates", templates}});
}

}  // namespace aether::api
