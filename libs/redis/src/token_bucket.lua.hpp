// The token bucket, run atomically by Redis (a script runs to completion
// before any other command). KEYS[1] = bucket; ARGV = burst, tokens per
// second, cost[, min_cost]. Takes `cost` tokens when there are that many;
// else, when min_cost (default: cost) < cost, as many whole tokens as there
// are if at least min_cost (a lease, leased_rate_limiter.hpp); else none.
// Returns {tokens taken (0: denied), whole tokens left, retry_us until
// min_cost are there (-1: above the burst, never), reset_us (until full)}. Time is Redis' own
// (TIME, microseconds), so every api replica sees the same clock; a clock that
// steps back refills nothing. Redis 7 replicates a script's effects, not the
// script, so calling TIME before writing is allowed.
#pragma once

namespace aether::redis::detail {

inline constexpr const char* kTokenBucketLua = R"lua(
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local min_cost = tonumber(ARGV[4]) or cost
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = tokens + (now - ts) * rate / 1000000
  ts = now
end
if tokens > burst then tokens = burst end
local taken = 0
local retry_us = 0
if cost <= tokens then
  taken = cost
elseif min_cost < cost and math.floor(tokens) >= min_cost then
  taken = math.floor(tokens)
end
if taken > 0 then
  tokens = tokens - taken
elseif min_cost > burst then
  retry_us = -1
else
  retry_us = math.ceil((min_cost - tokens) * 1000000 / rate)
end
local reset_us = math.ceil((burst - tokens) * 1000000 / rate)
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.0f', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(reset_us / 1000) + 1000)
return {taken, math.floor(tokens), retry_us, reset_us}
)lua";

}  // namespace aether::redis::detail
