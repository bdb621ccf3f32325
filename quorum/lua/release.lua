-- release.lua: compare-and-delete, and a tombstone for the owner in every case, so that an
-- acquire of this owner still in flight (a stalled node, a slow link, the second round of an
-- attempt) is refused when it arrives, whichever order the two run in.
-- KEYS[1] lock key   KEYS[2] tombstone of this owner
-- ARGV[1] owner      ARGV[2] tombstone ttl (ms)
-- Returns 1 if our key was deleted, 0 otherwise. Never touches another owner's key.
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
