-- extend.lua: reset the expiry of a lock key that still holds our owner; never re-create it.
-- KEYS[1] lock key   KEYS[2] node marker   KEYS[3] fence counter of the name
-- ARGV[1] owner   ARGV[2] ttl (ms)   ARGV[3] run_id of the server process   ARGV[4] quarantine (ms)
-- Returns 1 if extended, 0 if the key is missing or held by another owner, -1 if the node is
-- amnesic (its keys are not trusted: nothing is extended). The fence counter, which holds the
-- holder's token, lives on two TTLs with the key, so that the holder can be read (holder.lua).
if not marker_ok(KEYS[2], ARGV[3], ARGV[4]) then
  return -1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[3], 2 * tonumber(ARGV[2]))
  return 1
end
return 0
