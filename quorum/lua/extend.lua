-- extend.lua: reset the expiry of a lock key that still holds our owner; never re-create it.
-- KEYS[1] lock key   ARGV[1] owner   ARGV[2] ttl (ms)
-- Returns 1 if extended, 0 if the key is missing or held by another owner.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
