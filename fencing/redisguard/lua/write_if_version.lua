-- write_if_version.lua: fenced compare-and-set. Sets the value and raises the fence only if the
-- token is not older than the fence and the version is still the one the caller read.
-- KEYS[1] value key (string)   KEYS[2] meta key (hash: fence, version); one {hash tag}
-- ARGV[1] token (decimal, in [1, 2^53))   ARGV[2] expected version (decimal)   ARGV[3] value
-- Returns {1, version} written (version after the write),
--         {0, fence}   refused: the token is older than the stored fence; nothing changed,
--         {2, version} refused: the version changed since it was read; nothing changed.
-- Idempotent: a resent call that already succeeded (version is expected + 1, the fence equals
-- the token and the value is ARGV[3]) returns {1, version} again.
local fence = tonumber(redis.call('HGET', KEYS[2], 'fence') or '0')
local token = tonumber(ARGV[1])
if token < fence then
  return {0, fence}
end
local version = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
local expected = tonumber(ARGV[2])
if version ~= expected then
  if version == expected + 1 and token == fence and redis.call('GET', KEYS[1]) == ARGV[3] then
    return {1, version}
  end
  return {2, version}
end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], 'fence', ARGV[1])
return {1, redis.call('HINCRBY', KEYS[2], 'version', 1)}
