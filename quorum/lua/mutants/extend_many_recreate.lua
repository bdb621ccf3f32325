-- MUTANT (extend-recreates), for tests only: extend_many.lua that sets expired keys again.
-- Same KEYS and ARGV as extend_many.lua (KEYS[1] is the marker, which it ignores).
local out = {}
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v == ARGV[i + 2] or v == false then
    redis.call('SET', KEYS[i], ARGV[i + 2], 'PX', ARGV[1])
    out[i - 1] = 1
  else
    out[i - 1] = 0
  end
end
return out
