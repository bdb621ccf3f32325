-- acquire.lua: grant the lock to an owner with a client-proposed fencing token.
-- KEYS[1] lock key        KEYS[2] fence counter of the name
-- KEYS[3] node marker     KEYS[4] tombstone of this owner
-- ARGV[1] owner   ARGV[2] ttl (ms)   ARGV[3] proposed token (decimal, < 2^53)
-- ARGV[4] owner of our previous attempt that may be replaced, or ""
-- ARGV[5] run_id of the server process the request was sent to   ARGV[6] quarantine (ms)
-- Returns {status, counter, node_max, floor, incarnation, age_ms, quarantine_ms, lost}, where
-- status is 1 granted, 2 held by another owner, 3 stale (token <= counter), 4 amnesic,
-- 5 abandoned, 6 invalid token (not an integer in [1, 2^53), or more than a day ahead of the
-- node's clock); incarnation, age, quarantine and lost (1 no marker, 2 restart) describe an
-- amnesic node and are "", 0, 0, 0 otherwise.
-- The counter of a name is its fence key, or the node's highest token once that key expired
-- (fence keys live two TTLs, so a node keeps O(1) keys per name that is not in use), and never
-- below the floor. Idempotent for the same owner and token.
local now = node_time()
local mk = marker_bounds(KEYS[3], ARGV[5], ARGV[6], now)
if not mk.ok then
  return {4, 0, 0, 0, mk.id, now.ms - mk.since, mk.q, lost_code(mk)}
end
local nodemax, floor = tonumber(mk.max), tonumber(mk.floor)
local token = tonumber(ARGV[3])
if token == nil or token ~= token or token % 1 ~= 0 or token < 1 or token > 9007199254740991
    or token - now.us > DAY_MS * 1000 then
  return {6, 0, nodemax, floor, '', 0, 0, 0}
end
local counter = tonumber(redis.call('GET', KEYS[2]) or mk.max)
if counter < floor then counter = floor end
if redis.call('EXISTS', KEYS[4]) == 1 then
  return {5, counter, nodemax, floor, '', 0, 0, 0}
end
local fence_ttl = 2 * tonumber(ARGV[2])
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  -- A retry of this attempt (a resent command or a new round after a stale refusal): the key
  -- has been ours without a break, so restamping the token and the expiry is safe.
  if token > counter then
    redis.call('SET', KEYS[2], ARGV[3], 'PX', fence_ttl)
    counter = token
    if token > nodemax then redis.call('HSET', KEYS[3], 'max', ARGV[3]); nodemax = token end
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, counter, nodemax, floor, '', 0, 0, 0}
end
if holder and holder ~= ARGV[4] then
  return {2, counter, nodemax, floor, '', 0, 0, 0}
end
if token <= counter then
  return {3, counter, nodemax, floor, '', 0, 0, 0}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'PX', fence_ttl)
if token > nodemax then redis.call('HSET', KEYS[3], 'max', ARGV[3]); nodemax = token end
return {1, token, nodemax, floor, '', 0, 0, 0}
