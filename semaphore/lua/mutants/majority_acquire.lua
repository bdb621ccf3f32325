-- majority_acquire.lua: the semaphore-majority mutant's permit count on one node. DELIBERATELY
-- UNSAFE (semaphore/mutant_on.go): a majority of nodes that each count fewer than N holders
-- does not bound the holders to N.
-- KEYS[1] permits set (ZSET: holder -> expiry in node ms)   KEYS[2] the set's token counter
-- ARGV[1] holder   ARGV[2] N, the number of permits   ARGV[3] ttl (ms)
-- Drops the expired holders, then adds ARGV[1] (or renews it: idempotent) if fewer than N
-- others remain. Returns {1, counter} with the counter incremented if it added the holder,
-- {0, 0} if N others hold permits.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return {0, 0}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * ttl)
return {1, redis.call('INCR', KEYS[2])}
