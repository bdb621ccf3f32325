-- extend_many.lua: extend.lua for a batch of leases in one call (auto-extension).
-- KEYS[1] node marker   KEYS[1+i] lock key of lease i
-- ARGV[1] ttl (ms)   ARGV[2] run_id of the server process   ARGV[3] quarantine (ms)
-- ARGV[3+i] owner of lease i
-- Returns an array: 1 where the key held its owner and was extended, 0 where it was missing or
-- held by another owner (never re-created), -1 everywhere if the node is amnesic.
local mk = check_marker(KEYS[1], ARGV[2], ARGV[3], node_time())
local out = {}
for i = 2, #KEYS do
  if not mk.ok then
    out[i - 1] = -1
  elseif redis.call('GET', KEYS[i]) == ARGV[i + 2] then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    out[i - 1] = 1
  else
    out[i - 1] = 0
  end
end
return out
