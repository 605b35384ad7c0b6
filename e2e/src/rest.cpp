#include "rest.hpp"

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "e2e_env.hpp"

namespace aether::e2e {
namespace {

std::string random_hex(std::size_t bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned>(rng() & 0xff);
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

}  // namespace

std::string Answer::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

Json Answer::json() const {
  auto parsed = Json::parse(body, nullptr, false);
  return parsed.is_discarded() ? Json() : parsed;
}

std::string Answer::describe() const {
  std::string b = body.size() > 600 ? body.substr(0, 600) + "..." : body;
  return std::to_string(status) + " " + b;
}

Rest::Rest(std::string base_url, std::string api_key)
    : base_(std::move(base_url)), key_(std::move(api_key)) {}

Rest::Rest() : Rest(env().api_url, env().api_key) {}

Answer Rest::call(const std::string& method, const std::string& path,
                  std::optional<std::string> body, const std::string& content_type,
                  const HeaderList& headers, std::chrono::milliseconds timeout) {
  ctl::HttpRequest req;
  req.method = method;
  req.url = base_ + path;
  req.timeout = timeout;
  if (!key_.empty()) req.headers.emplace_back("Authorization", "Bearer " + key_);
  if (body) {
    req.body = std::move(*body);
    req.has_body = true;
    req.headers.emplace_back("Content-Type", content_type);
  }
  for (const auto& h : headers) req.headers.push_back(h);
  Answer a;
  auto r = http_.perform(req);
  if (!r) {
    a.body = r.error().message;
  } else {
    a.status = r->status;
    a.headers = r->headers;
    a.body = std::move(r->body);
  }
  last_ = a;
  return a;
}

Answer Rest::get(const std::string& path, const HeaderList& headers) {
  return call("GET", path, std::nullopt, "", headers);
}

Answer Rest::post(const std::string& path, const Json& body, const HeaderList& headers,
                  std::chrono::milliseconds timeout) {
  return call("POST", path, body.dump(), "application/json", headers, timeout);
}

std::string Rest::create_vm(const Json& spec, const HeaderList& headers) {
  auto a = post("/v1/vms", spec, headers);
  if (a.status != 200 && a.status != 202) return {};
  auto j = a.json();
  return j.is_object() && j.contains("id") ? j["id"].get<std::string>() : std::string();
}

Json Rest::wait_state(const std::string& id, const std::set<std::string>& states,
                      std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  Json last;
  while (true) {
    auto a = get("/v1/vms/" + id);
    if (a.status == 200) {
      last = a.json();
      if (last.is_object() && states.contains(last.value("state", ""))) return last;
    }
    if (std::chrono::steady_clock::now() >= end) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Answer Rest::exec(const std::string& id, const std::vector<std::string>& argv,
                  const HeaderList& headers) {
  return post("/v1/vms/" + id + "/exec", Json{{"argv", argv}}, headers);
}

Json small_vm(const std::string& scenario) {
  return Json{{"template", "default"},
              {"vcpus", 1},
              {"memoryMib", 256},
              {"ttlSeconds", 900},
              {"labels", {{"e2e", scenario}}}};
}

TraceParent new_traceparent() {
  TraceParent t;
  t.trace_id = random_hex(16);
  t.span_id = random_hex(8);
  t.header = "00-" + t.trace_id + "-" + t.span_id + "-01";
  return t;
}

std::string new_uuid_v7() {
  const auto ms =
      static_cast<unsigned long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  char ts[13];
  std::snprintf(ts, sizeof ts, "%012llx", ms & 0xffffffffffffULL);
  std::string r = random_hex(10);
  std::string id = std::string(ts, 8) + "-" + std::string(ts + 8, 4) + "-7" + r.substr(0, 3) + "-" +
                   std::string(1, "89ab"[r[3] % 4]) + r.substr(4, 3) + "-" + r.substr(7, 12);
  return id;
}

}  // namespace aether::e2e
