-- MUTANT (extend-recreates), for tests only: extend_many.lua that sets expired keys again.
-- Same KEYS and ARGV as extend_many.lua (KEYS[1] is the marker, which it ignores; the fence
-- counters follow the lock keys, which it does not touch).
local n = (#KEYS - 1) / 2
local out = {}
for i = 1, n do
  local v = redis.call('GET', KEYS[1 + i])
  if v == ARGV[3 + i] or v == false then
    redis.call('SET', KEYS[1 + i], ARGV[3 + i], 'PX', ARGV[1])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
