-- write_if_version.lua: fenced compare-and-set. Sets the value and raises the fence only if the
-- token is not older than the fence and the version is still the one the caller read.
-- KEYS[1] value key (string)   KEYS[2] meta key (hash: fence, version, write_id); one {hash tag}
-- ARGV[1] token (decimal, in [1, 2^53))   ARGV[2] expected version (decimal)   ARGV[3] value
-- ARGV[4] write id: unique to one WriteIfVersion call, the same when that call is resent
-- Returns {1, version} written (version after the write),
--         {0, fence}   refused: the token is older than the stored fence; nothing changed,
--         {2, version} refused: the version changed since it was read; nothing changed.
-- Idempotent for a resent call, and only for it: when the version is expected + 1 and the last
-- write recorded this call's write id, this call already wrote, and {1, version} is returned
-- again. Another call with the same token, version and value (a second worker of the same lease
-- that read the same version) is another update, refused with {2, version}.
local fence = tonumber(redis.call('HGET', KEYS[2], 'fence') or '0')
local token = tonumber(ARGV[1])
if token < fence then
  return {0, fence}
end
local version = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
local expected = tonumber(ARGV[2])
if version ~= expected then
  if version == expected + 1 and redis.call('HGET', KEYS[2], 'write_id') == ARGV[4] then
    return {1, version}
  end
  return {2, version}
end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], 'fence', ARGV[1], 'write_id', ARGV[4])
return {1, redis.call('HINCRBY', KEYS[2], 'version', 1)}
