-- write.lua: fenced write. Sets the value and raises the fence, only if the token is not older
-- than the fence, in one atomic step.
-- KEYS[1] value key (string)   KEYS[2] meta key (hash: fence, version); one {hash tag}
-- ARGV[1] token (decimal, in [1, 2^53))   ARGV[2] value
-- Returns {1, version} written (version after the write),
--         {0, fence}   refused: the token is older than the stored fence; nothing changed.
-- Idempotent: when the fence already equals the token and the value is already ARGV[2] (a resent
-- call), nothing changes and the current version is returned.
local fence = tonumber(redis.call('HGET', KEYS[2], 'fence') or '0')
local token = tonumber(ARGV[1])
if token < fence then
  return {0, fence}
end
local version = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
if token == fence and version > 0 and redis.call('GET', KEYS[1]) == ARGV[2] then
  return {1, version}
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], 'fence', ARGV[1])
return {1, redis.call('HINCRBY', KEYS[2], 'version', 1)}
