-- release.lua: compare-and-delete; where the key is not ours, leave a tombstone so that an
-- acquire of ours still in flight (a stalled node, a slow link) is refused when it arrives.
-- KEYS[1] lock key   KEYS[2] tombstone of this owner
-- ARGV[1] owner      ARGV[2] tombstone ttl (ms)
-- Returns 1 if our key was deleted, 0 otherwise. Never touches another owner's key.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return 0
