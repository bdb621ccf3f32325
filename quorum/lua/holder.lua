-- holder.lua: who holds a lock on this node, after the prologue's check of the marker.
-- KEYS[1] lock key   KEYS[2] fence counter of the name   KEYS[3] node marker
-- ARGV[1] run_id of the server process   ARGV[2] quarantine (ms)
-- Returns {trusted, owner, counter, pttl_ms}: trusted is 0 on an amnesic node (its answer does
-- not count, and the rest is empty); owner is the lock key's value or ""; counter is the name's
-- fence counter, which the holder's grant wrote and its extensions keep alive, or 0; pttl is
-- the lock key's time to live, or 0.
if not marker_ok(KEYS[3], ARGV[1], ARGV[2]) then
  return {0, '', 0, 0}
end
local owner = redis.call('GET', KEYS[1])
if not owner then
  return {1, '', 0, 0}
end
return {1, owner, tonumber(redis.call('GET', KEYS[2]) or '0'), math.max(redis.call('PTTL', KEYS[1]), 0)}
