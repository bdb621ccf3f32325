-- marker.lua: the prologue of every script (prepended to each). It checks the node's marker
-- against the server process that runs the script, so that a node's loss of data is seen on the
-- first call of any kind after it, not only by the next acquire. Every script calls it first,
-- but release, which only deletes its own key, calls it where it does not find that key.
--
-- The marker (a hash, one per node and key prefix) holds:
--   state  'ok' or 'amnesic'      run    run_id of the server process it was last checked by
--   id     incarnation id         since  node time (ms) when the loss was seen
--   q      quarantine (ms)        lost   'new' (no marker was found) or 'restart'
--   floor  lowest counter for every name        max  highest token granted or healed to
--   healed how the node was last put into service ('heal', 'operator' or 'new-deployment')
--   healed_at                     node time (ms) of that
--
-- A node without a marker (new, or it lost everything) or whose marker was written under another
-- server process (a restart, which may have reloaded an older snapshot or AOF, or a copy that
-- took over) is amnesic from then on: it grants nothing until it is healed. The client passes
-- the run_id of the process at the other end of the connection that carries the script
-- (learned when the connection was opened): a restarted server is reached only through a new
-- connection, so the script runs on exactly that process.
local DAY_MS = 86400000

-- node_time returns the node's clock as {seconds, microseconds} strings and in ms and µs.
local function node_time()
  local t = redis.call('TIME')
  local s, us = tonumber(t[1]), tonumber(t[2])
  return {sec = t[1], usec = t[2], ms = s * 1000 + math.floor(us / 1000), us = s * 1000000 + us}
end

-- checked_by tells whether a marker's run field names the server process that runs the script
-- (the one point where a restart is told from no restart).
local function checked_by(marker_run, run)
  return marker_run == run
end

-- check_marker returns the marker as a table {ok, id, since, q, lost, floor, max}, after
-- (re)creating it as amnesic if the node has none or it was written under another process.
-- quarantine (ms) is the caller's; a quarantine lasts one incarnation and at most a day.
-- now is node_time(), or nil from a script that does not read the clock otherwise (through
-- marker_ok): the clock is then read only to (re)create the marker.
local function check_marker(key, run, quarantine, now)
  local q = math.min(tonumber(quarantine), DAY_MS)
  local m = redis.call('HMGET', key, 'state', 'run', 'id', 'since', 'q', 'lost', 'floor', 'max')
  if m[1] == false or not checked_by(m[2], run) then
    now = now or node_time()
    local lost = 'new'
    if m[1] then lost = 'restart' end
    local id = run .. ':' .. now.sec .. '.' .. now.usec
    local floor, max = m[7] or '0', m[8] or '0'
    redis.call('HSET', key, 'state', 'amnesic', 'run', run, 'id', id, 'since', now.ms, 'q', q,
      'lost', lost, 'floor', floor, 'max', max)
    return {ok = false, id = id, since = now.ms, q = q, lost = lost, floor = floor, max = max}
  end
  local mk = {ok = m[1] == 'ok', id = m[3], since = tonumber(m[4]), q = tonumber(m[5]),
    lost = m[6] or '', floor = m[7], max = m[8]}
  if not mk.ok and q > mk.q then
    redis.call('HSET', key, 'q', q)
    mk.q = q
  end
  return mk
end

-- lost_code encodes why a node is amnesic: 1 no marker was found, 2 it restarted.
local function lost_code(mk)
  if mk.lost == 'restart' then return 2 end
  return 1
end

-- The fast paths of the check, for the calls on a healthy node, which are nearly all of them:
-- they read only the fields the script needs, and leave everything else to check_marker.

-- marker_ok tells whether the node is trusted (healthy, under this process), after
-- check_marker's work if it is not: two fields read on a healthy node.
local function marker_ok(key, run, quarantine)
  local m = redis.call('HMGET', key, 'state', 'run')
  if m[1] == 'ok' and checked_by(m[2], run) then
    return true
  end
  return check_marker(key, run, quarantine, nil).ok
end

-- marker_bounds is check_marker for acquire: on a healthy node it reads only the four fields a
-- grant needs and returns {ok = true, floor, max}.
local function marker_bounds(key, run, quarantine, now)
  local m = redis.call('HMGET', key, 'state', 'run', 'floor', 'max')
  if m[1] == 'ok' and checked_by(m[2], run) then
    return {ok = true, floor = m[3], max = m[4]}
  end
  return check_marker(key, run, quarantine, now)
end
