#include "aether/redis/idempotency.hpp"

#include <random>

#include "aether/digest/sha256.hpp"

namespace aether::redis {
namespace {

// KEYS[1] = the key; ARGV = fingerprint, token, lock_ttl_ms.
constexpr const char* kBeginLua = R"lua(
local v = redis.call('HMGET', KEYS[1], 'state', 'fp', 'status', 'headers', 'body')
if not v[1] then
  redis.call('HSET', KEYS[1], 'state', 'running', 'fp', ARGV[1], 'token', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'claimed'}
end
if v[2] ~= ARGV[1] then return {'mismatch'} end
if v[1] == 'running' then return {'in_progress', redis.call('PTTL', KEYS[1])} end
return {'replay', v[3], v[4], v[5]}
)lua";

// ARGV = token, status, headers, body, response_ttl_ms.
constexpr const char* kCompleteLua = R"lua(
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[2], 'headers', ARGV[3], 'body', ARGV[4])
redis.call('HDEL', KEYS[1], 'token')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
)lua";

// ARGV = token.
constexpr const char* kReleaseLua = R"lua(
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
)lua";

// ARGV = token, lock_ttl_ms.
constexpr const char* kRefreshLua = R"lua(
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
)lua";

std::string random_token() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (int word = 0; word < 2; ++word) {
    auto bits = engine();
    for (int i = 0; i < 16; ++i, bits >>= 4) token.push_back(kHex[bits & 0xF]);
  }
  return token;
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// Headers as HTTP writes them ("Name: value\r\n"...): values cannot hold CR/LF.
std::string encode_headers(const std::vector<HttpHeader>& headers) {
  std::string out;
  for (const auto& h : headers) out += h.name + ": " + h.value + "\r\n";
  return out;
}

std::vector<HttpHeader> decode_headers(std::string_view text) {
  std::vector<HttpHeader> headers;
  while (!text.empty()) {
    const auto end = text.find("\r\n");
    const auto line = text.substr(0, end);
    const auto colon = line.find(": ");
    if (colon != std::string_view::npos)
      headers.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 2))});
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 2);
  }
  return headers;
}

std::string ms_text(std::chrono::milliseconds ms) { return std::to_string(ms.count()); }

}  // namespace

struct IdempotencyStore::Scripts {
  Script begin{kBeginLua};
  Script complete{kCompleteLua};
  Script release{kReleaseLua};
  Script refresh{kRefreshLua};
};

const char* claim_state_name(ClaimState state) {
  switch (state) {
    case ClaimState::kClaimed:
      return "claimed";
    case ClaimState::kReplay:
      return "replay";
    case ClaimState::kMismatch:
      return "mismatch";
    case ClaimState::kInProgress:
      return "in_progress";
  }
  return "unknown";
}

std::optional<std::string> idempotency_key_problem(std::string_view key) {
  if (key.empty()) return "Idempotency-Key must not be empty";
  if (key.size() > 255)
    return "Idempotency-Key must be at most 255 characters, got " + std::to_string(key.size());
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c < 0x21 || c > 0x7e)
      return "Idempotency-Key must be visible ASCII (no spaces or control characters); byte " +
             std::to_string(i) + " is not";
  }
  return std::nullopt;
}

std::string request_fingerprint(std::string_view method, std::string_view target,
                                std::string_view body) {
  digest::Sha256 sha;
  sha.update(method);
  sha.update("\n");
  sha.update(target);
  sha.update("\n");
  sha.update(body);
  return sha.hex();
}

Result<IdempotencyStore> IdempotencyStore::create(Pool& pool, IdempotencyOptions options) {
  if (options.response_ttl.count() <= 0)
    return make_error(Errc::kInvalidArgument, "IdempotencyOptions::response_ttl must be positive");
  if (options.lock_ttl.count() <= 0)
    return make_error(Errc::kInvalidArgument, "IdempotencyOptions::lock_ttl must be positive");
  return IdempotencyStore(pool, std::move(options));
}

IdempotencyStore::IdempotencyStore(Pool& pool, IdempotencyOptions options)
    : pool_(&pool), options_(std::move(options)), scripts_(std::make_shared<const Scripts>()) {}

Result<Claim> IdempotencyStore::begin(std::string_view scope, std::string_view key,
                                      std::string_view fingerprint) const {
  if (auto problem = idempotency_key_problem(key))
    return make_error(Errc::kInvalidArgument, *problem);
  if (scope.empty()) return make_error(Errc::kInvalidArgument, "idempotency: empty scope");
  if (fingerprint.empty())
    return make_error(Errc::kInvalidArgument, "idempotency: empty fingerprint");

  Claim claim;
  claim.redis_key = options_.key_prefix + std::string(scope) + ":" + std::string(key);
  const std::string token = random_token();
  const std::string lock_ms = ms_text(options_.lock_ttl);
  auto lease = pool_->acquire();
  if (!lease) return std::unexpected(lease.error());
  auto reply =
      scripts_->begin.run(lease->connection(), {claim.redis_key}, {fingerprint, token, lock_ms});
  if (!reply) return std::unexpected(reply.error());

  const auto& raw = reply->raw();
  auto first = array_element(raw, 0, "idempotency begin");
  if (!first) return std::unexpected(first.error());
  auto state = string_of(**first, "idempotency begin state");
  if (!state) return std::unexpected(state.error());
  const std::string name = state->value_or("");
  if (name == "claimed") {
    claim.state = ClaimState::kClaimed;
    claim.token = token;
  } else if (name == "mismatch") {
    claim.state = ClaimState::kMismatch;
  } else if (name == "in_progress") {
    claim.state = ClaimState::kInProgress;
    auto pttl = array_element(raw, 1, "idempotency begin pttl");
    if (!pttl) return std::unexpected(pttl.error());
    auto ms = integer_of(**pttl, "idempotency begin pttl");
    if (!ms) return std::unexpected(ms.error());
    claim.retry_after = std::chrono::milliseconds(*ms > 0 ? *ms : 0);
  } else if (name == "replay") {
    claim.state = ClaimState::kReplay;
    std::optional<std::string> fields[3];
    for (std::size_t i = 0; i < 3; ++i) {
      auto element = array_element(raw, i + 1, "idempotency begin response");
      if (!element) return std::unexpected(element.error());
      auto text = string_of(**element, "idempotency begin response");
      if (!text) return std::unexpected(text.error());
      fields[i] = std::move(*text);
    }
    StoredResponse response;
    response.status = std::atoi(fields[0].value_or("0").c_str());
    response.headers = decode_headers(fields[1].value_or(""));
    response.body = fields[2].value_or("");
    claim.response = std::move(response);
  } else {
    return make_error(Errc::kUnexpectedReply, "idempotency begin: unknown state '" + name + "'");
  }
  return claim;
}

Result<bool> IdempotencyStore::owner_script(const Script& script, const Claim& claim,
                                            std::string_view arg) const {
  if (claim.state != ClaimState::kClaimed || claim.token.empty())
    return make_error(Errc::kInvalidArgument, std::string("idempotency: the claim is ") +
                                                  claim_state_name(claim.state) +
                                                  ", not claimed by this request");
  auto lease = pool_->acquire();
  if (!lease) return std::unexpected(lease.error());
  auto reply = arg.empty() ? script.run(lease->connection(), {claim.redis_key}, {claim.token})
                           : script.run(lease->connection(), {claim.redis_key}, {claim.token, arg});
  if (!reply) return std::unexpected(reply.error());
  auto n = integer_of(reply->raw(), "idempotency");
  if (!n) return std::unexpected(n.error());
  return *n > 0;
}

Result<bool> IdempotencyStore::complete(const Claim& claim, const StoredResponse& response) const {
  if (claim.state != ClaimState::kClaimed || claim.token.empty())
    return make_error(Errc::kInvalidArgument, std::string("idempotency complete: the claim is ") +
                                                  claim_state_name(claim.state) +
                                                  ", not claimed by this request");
  if (response.status < 100 || response.status > 599)
    return make_error(Errc::kInvalidArgument, "idempotency complete: status " +
                                                  std::to_string(response.status) +
                                                  " is not an HTTP status");
  for (const auto& h : response.headers)
    if (h.name.empty() || has_line_break(h.name) || has_line_break(h.value) ||
        h.name.find(':') != std::string::npos)
      return make_error(Errc::kInvalidArgument, "idempotency complete: header '" + h.name +
                                                    "' has an invalid name or value");
  const std::string status = std::to_string(response.status);
  const std::string headers = encode_headers(response.headers);
  const std::string ttl = ms_text(options_.response_ttl);
  auto lease = pool_->acquire();
  if (!lease) return std::unexpected(lease.error());
  auto reply = scripts_->complete.run(lease->connection(), {claim.redis_key},
                                      {claim.token, status, headers, response.body, ttl});
  if (!reply) return std::unexpected(reply.error());
  auto n = integer_of(reply->raw(), "idempotency complete");
  if (!n) return std::unexpected(n.error());
  return *n == 1;
}

Result<bool> IdempotencyStore::release(const Claim& claim) const {
  return owner_script(scripts_->release, claim, {});
}

Result<bool> IdempotencyStore::refresh(const Claim& claim) const {
  return owner_script(scripts_->refresh, claim, ms_text(options_.lock_ttl));
}

}  // namespace aether::redis
