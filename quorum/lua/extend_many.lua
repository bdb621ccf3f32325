-- extend_many.lua: extend_lua for a batch of leases in one call (auto-extension).
-- KEYS[i] lock key of lease i   ARGV[1] ttl (ms)   ARGV[1+i] owner of lease i
-- Returns an array: 1 where the key held its owner and was extended, 0 where it was missing or
-- held by another owner (never re-created).
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
