-- release.lua: compare-and-delete, and a tombstone for the owner, so that an acquire of this
-- owner still in flight (a stalled node, a slow link, the second round of an attempt) is
-- refused when it arrives, whichever order the two run in.
-- KEYS[1] lock key   KEYS[2] tombstone of this owner   KEYS[3] node marker
-- ARGV[1] owner      ARGV[2] tombstone ttl (ms); "0" when no acquire of the owner can be in
--                    flight (the client saw this node answer every one): no tombstone
-- ARGV[3] run_id of the server process   ARGV[4] quarantine (ms)
-- ARGV[5] the lease's token: announce the deletion on the lock's channel (KEYS[1] ..
--         ':released') to the clients waiting for it, with the token as the message (a
--         lease's release); "0": not (a failed attempt's clean-up)
-- Returns 1 if our key was deleted, 0 otherwise. Never touches another owner's key.
-- Deleting our own key is safe on an amnesic node too, so the marker check only records a loss,
-- and only where one can show: when our key is not there (lost, expired, or another owner's).
-- A restart that restored our key is recorded by the node's next call of another kind, which
-- comes before any grant.
if ARGV[2] ~= '0' then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if ARGV[5] ~= '0' then
    -- pcall: a user whose ACL forbids the channel still releases; waiters then poll.
    redis.pcall('PUBLISH', KEYS[1] .. ':released', ARGV[5])
  end
  return 1
end
marker_ok(KEYS[3], ARGV[3], ARGV[4])
return 0
