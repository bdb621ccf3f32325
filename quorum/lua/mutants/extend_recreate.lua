-- MUTANT (extend-recreates), for tests only: extend sets the key again when it has expired, so
-- the holder never learns that exclusivity was broken. Same KEYS and ARGV as extend.lua.
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
