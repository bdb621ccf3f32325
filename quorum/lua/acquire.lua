-- acquire.lua: grant the lock to an owner with a client-proposed fencing token.
-- KEYS[1] lock key        KEYS[2] fence counter of the name
-- KEYS[3] node marker     KEYS[4] tombstone of this owner
-- ARGV[1] owner   ARGV[2] ttl (ms)   ARGV[3] proposed token (decimal, < 2^53)
-- ARGV[4] owner of our previous attempt that may be replaced, or ""
-- ARGV[5] incarnation to record if the marker is missing   ARGV[6] quarantine (ms)
-- Returns {status, counter, node_max, incarnation, age_ms, quarantine_ms}, where status is
-- 1 granted, 2 held by another owner, 3 stale (token <= counter), 4 amnesic, 5 abandoned,
-- 6 invalid token (not in [1, 2^53), or more than a day ahead of the node's clock).
-- Idempotent for the same owner and token.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- A proposal must be an integer in [1, 2^53) (Lua numbers are doubles) and no more than a day ahead of this
-- node's clock, so that a client with a wild clock cannot exhaust the token space.
local token = tonumber(ARGV[3])
local t = redis.call('TIME')
local ahead = token and token - (tonumber(t[1]) * 1000000 + tonumber(t[2]))
if token == nil or token ~= token or token % 1 ~= 0 or token < 1 or token > 9007199254740991
    or ahead > 86400000000 then
  return {6, 0, 0, '', 0, 0}
end
local m = redis.call('HMGET', KEYS[3], 'state', 'floor', 'max', 'id', 'since', 'q')
if m[1] ~= 'ok' then
  local q = tonumber(ARGV[6])
  if m[1] == false then
    redis.call('HSET', KEYS[3], 'state', 'amnesic', 'id', ARGV[5], 'since', now_ms(), 'q', ARGV[6], 'floor', '0', 'max', '0')
    return {4, 0, 0, ARGV[5], 0, q}
  end
  if tonumber(m[6]) > q then q = tonumber(m[6]) else redis.call('HSET', KEYS[3], 'q', q) end
  return {4, 0, 0, m[4], now_ms() - tonumber(m[5]), q}
end
local nodemax = tonumber(m[3])
local counter = tonumber(redis.call('GET', KEYS[2]) or '0')
if counter < tonumber(m[2]) then counter = tonumber(m[2]) end
if redis.call('EXISTS', KEYS[4]) == 1 then
  return {5, counter, nodemax, '', 0, 0}
end
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  -- A retry of this attempt (a resent command or a new round after a stale refusal): the key
  -- has been ours without a break, so restamping the token and the expiry is safe.
  if token > counter then
    redis.call('SET', KEYS[2], ARGV[3])
    counter = token
    if token > nodemax then redis.call('HSET', KEYS[3], 'max', ARGV[3]); nodemax = token end
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, counter, nodemax, '', 0, 0}
end
if holder and holder ~= ARGV[4] then
  return {2, counter, nodemax, '', 0, 0}
end
if token <= counter then
  return {3, counter, nodemax, '', 0, 0}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
if token > nodemax then redis.call('HSET', KEYS[3], 'max', ARGV[3]); nodemax = token end
return {1, token, nodemax, '', 0, 0}
