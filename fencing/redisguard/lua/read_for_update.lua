-- read_for_update.lua: mark before write. Raises the fence to the token, refusing an older one,
-- and returns the value and its version, in one atomic step.
-- KEYS[1] value key (string)   KEYS[2] meta key (hash: fence, version); one {hash tag}
-- ARGV[1] token (decimal, in [1, 2^53))
-- Returns {1, version, value} the fence is now the token (value '' and version 0 if never written),
--         {0, fence, ''}      refused: the token is older than the stored fence; nothing changed.
-- Idempotent.
local fence = tonumber(redis.call('HGET', KEYS[2], 'fence') or '0')
local token = tonumber(ARGV[1])
if token < fence then
  return {0, fence, ''}
end
if token > fence then
  redis.call('HSET', KEYS[2], 'fence', ARGV[1])
end
local version = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
return {1, version, redis.call('GET', KEYS[1]) or ''}
