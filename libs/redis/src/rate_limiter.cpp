#include "aether/redis/rate_limiter.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <expected>
#include <optional>

#include "token_bucket.lua.hpp"

namespace aether::redis {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool valid_class_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

std::optional<std::int64_t> positive_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

// "CLASS=COUNT/UNIT[:BURST]" -> (class, rate), or what is wrong with it.
std::expected<std::pair<std::string, Rate>, std::string> parse_item(std::string_view item) {
  const auto eq = item.find('=');
  if (eq == std::string_view::npos) return std::unexpected("expected CLASS=COUNT/UNIT[:BURST]");
  const auto name = trim(item.substr(0, eq));
  if (!valid_class_name(name))
    return std::unexpected(
        "the class name must be non-empty lower-case letters, digits, '_' or '-'");
  auto spec = trim(item.substr(eq + 1));
  std::string_view burst_text;
  const bool has_burst = spec.find(':') != std::string_view::npos;
  if (auto colon = spec.find(':'); has_burst) {
    burst_text = trim(spec.substr(colon + 1));
    spec = trim(spec.substr(0, colon));
  }
  const auto slash = spec.find('/');
  if (slash == std::string_view::npos)
    return std::unexpected("the rate needs a unit: COUNT/s, COUNT/m or COUNT/h");
  const auto count = positive_integer(trim(spec.substr(0, slash)));
  if (!count) return std::unexpected("the count must be a positive whole number");
  const auto unit = trim(spec.substr(slash + 1));
  double seconds = 0;
  if (unit == "s")
    seconds = 1;
  else if (unit == "m")
    seconds = 60;
  else if (unit == "h")
    seconds = 3600;
  else
    return std::unexpected("the unit must be s, m or h, got '" + std::string(unit) + "'");
  Rate rate{static_cast<double>(*count) / seconds, *count};
  if (has_burst) {
    const auto burst = positive_integer(burst_text);
    if (!burst) return std::unexpected("the burst (after ':') must be a positive whole number");
    rate.burst = *burst;
  }
  return std::pair<std::string, Rate>(std::string(name), rate);
}

}  // namespace

Result<Rates> parse_rates(std::string_view text) {
  Rates rates;
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    const auto item = trim(rest.substr(0, comma));
    if (item.empty())
      return make_error(Errc::kInvalidArgument,
                        "AETHER_RATE_LIMITS: empty item in '" + std::string(text) + "'");
    auto parsed = parse_item(item);
    if (!parsed)
      return make_error(Errc::kInvalidArgument,
                        "AETHER_RATE_LIMITS item '" + std::string(item) + "': " + parsed.error());
    if (!rates.emplace(parsed->first, parsed->second).second)
      return make_error(Errc::kInvalidArgument,
                        "AETHER_RATE_LIMITS: class '" + parsed->first + "' is given twice");
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return rates;
}

std::string format_rates(const Rates& rates) {
  std::string out;
  for (const auto& [name, rate] : rates) {
    if (!out.empty()) out += ',';
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g/s:%lld", rate.tokens_per_second,
                  static_cast<long long>(rate.burst));
    out += name + "=" + buf;
  }
  return out;
}

std::vector<HttpHeader> rate_limit_headers(const Decision& decision) {
  auto ceil_seconds = [](std::chrono::milliseconds ms) {
    return std::to_string((ms.count() + 999) / 1000);
  };
  std::vector<HttpHeader> headers{
      {"RateLimit-Limit", std::to_string(decision.limit)},
      {"RateLimit-Remaining", std::to_string(decision.remaining)},
      {"RateLimit-Reset", ceil_seconds(decision.reset_after)},
  };
  if (!decision.allowed) {
    const auto seconds = std::max<long long>(1, (decision.retry_after.count() + 999) / 1000);
    headers.push_back({"Retry-After", std::to_string(seconds)});
  }
  return headers;
}

std::string_view token_bucket_lua() { return detail::kTokenBucketLua; }

Result<RateLimiter> RateLimiter::create(Pool& pool, RateLimiterOptions options) {
  if (options.rates.empty())
    return make_error(Errc::kInvalidArgument, "RateLimiterOptions::rates: no route class given");
  for (const auto& [name, rate] : options.rates)
    if (!(rate.tokens_per_second > 0) || rate.burst < 1 || !std::isfinite(rate.tokens_per_second))
      return make_error(Errc::kInvalidArgument,
                        "RateLimiterOptions::rates['" + name +
                            "']: tokens_per_second must be > 0 and burst >= 1");
  return RateLimiter(pool, std::move(options));
}

RateLimiter::RateLimiter(Pool& pool, RateLimiterOptions options)
    : pool_(&pool),
      options_(std::move(options)),
      script_(std::make_shared<const Script>(std::string(detail::kTokenBucketLua))) {}

Result<Decision> RateLimiter::check(std::string_view subject, std::string_view route_class,
                                    std::int64_t cost) const {
  return take(subject, route_class, cost, cost);
}

Result<Decision> RateLimiter::lease(std::string_view subject, std::string_view route_class,
                                    std::int64_t max_tokens) const {
  return take(subject, route_class, max_tokens, 1);
}

Result<Decision> RateLimiter::take(std::string_view subject, std::string_view route_class,
                                   std::int64_t cost, std::int64_t min_cost) const {
  const auto it = options_.rates.find(route_class);
  if (it == options_.rates.end())
    return make_error(Errc::kInvalidArgument,
                      "rate limit: unknown route class '" + std::string(route_class) +
                          "' (configured: " + format_rates(options_.rates) + ")");
  if (subject.empty()) return make_error(Errc::kInvalidArgument, "rate limit: empty subject");
  if (cost < 1) return make_error(Errc::kInvalidArgument, "rate limit: cost must be at least 1");
  const Rate& rate = it->second;

  const std::string key = options_.key_prefix + it->first + ":" + std::string(subject);
  const std::string burst = std::to_string(rate.burst);
  char per_second[32];
  std::snprintf(per_second, sizeof per_second, "%.17g", rate.tokens_per_second);
  const std::string cost_text = std::to_string(cost);
  const std::string min_cost_text = std::to_string(min_cost);

  auto lease = pool_->acquire();
  if (!lease) return std::unexpected(lease.error());
  auto reply =
      script_->run(lease->connection(), {key}, {burst, per_second, cost_text, min_cost_text});
  if (!reply) return std::unexpected(reply.error());

  long long fields[4] = {};
  for (std::size_t i = 0; i < 4; ++i) {
    auto element = array_element(reply->raw(), i, "rate limit script");
    if (!element) return std::unexpected(element.error());
    auto value = integer_of(**element, "rate limit script");
    if (!value) return std::unexpected(value.error());
    fields[i] = *value;
  }
  Decision d;
  d.allowed = fields[0] >= 1;
  d.granted = fields[0];
  d.limit = rate.burst;
  d.remaining = fields[1];
  d.retry_after = std::chrono::milliseconds(fields[2] < 0 ? 0 : (fields[2] + 999) / 1000);
  d.reset_after = std::chrono::milliseconds((fields[3] + 999) / 1000);
  return d;
}

}  // namespace aether::redis
