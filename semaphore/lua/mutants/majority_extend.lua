-- majority_extend.lua: the semaphore-majority mutant's extension of one holder on one node.
-- KEYS[1] permits set (ZSET: holder -> expiry in node ms)
-- ARGV[1] holder   ARGV[2] ttl (ms)
-- Returns 1 if the holder was in the set and had not expired (its expiry is then a full ttl
-- away), 0 otherwise: an expired holder is never brought back.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= now then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * ttl)
return 1
