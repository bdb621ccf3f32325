-- extend_many.lua: extend.lua for a batch of n leases in one call (auto-extension).
-- KEYS[1] node marker   KEYS[1+i] lock key of lease i   KEYS[1+n+i] its fence counter
-- ARGV[1] ttl (ms)   ARGV[2] run_id of the server process   ARGV[3] quarantine (ms)
-- ARGV[3+i] owner of lease i
-- Returns an array: 1 where the key held its owner and was extended (and its fence counter with
-- it, for two TTLs), 0 where it was missing or held by another owner (never re-created), -1
-- everywhere if the node is amnesic.
local ok = marker_ok(KEYS[1], ARGV[2], ARGV[3])
local n = (#KEYS - 1) / 2
local out = {}
for i = 1, n do
  if not ok then
    out[i] = -1
  elseif redis.call('GET', KEYS[1 + i]) == ARGV[3 + i] then
    redis.call('PEXPIRE', KEYS[1 + i], ARGV[1])
    redis.call('PEXPIRE', KEYS[1 + n + i], 2 * tonumber(ARGV[1]))
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
