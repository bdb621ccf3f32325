-- MUTANT (incr-token), for tests only: the naive fenced Redlock. SET NX, then INCR a per-node
-- counter; the client takes the largest counter of its majority as the token. Same KEYS, ARGV
-- and reply shape as acquire.lua; no marker, no proposal check.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  local c = tonumber(redis.call('GET', KEYS[2]) or '0')
  return {1, c, c, 0, '', 0, 0, 0}
end
if holder then
  return {2, 0, 0, 0, '', 0, 0, 0}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local c = redis.call('INCR', KEYS[2])
return {1, c, c, 0, '', 0, 0, 0}
