-- heal.lua: end the quarantine of an amnesic node and give it a floor.
-- KEYS[1] node marker
-- ARGV[1] run_id of the server process   ARGV[2] quarantine (ms)
-- ARGV[3] incarnation seen amnesic   ARGV[4] floor (decimal, < 2^53)
-- ARGV[5] how: 'heal' (a majority of healthy nodes gave the floor), 'operator' (an operator's
--         recovery, floor above every token that can have been granted), or 'new-deployment'
--         (an operator declares that the node never served: no quarantine; refused if the node
--         restarted, which shows that it did serve)
-- Returns 1 healed, 0 not amnesic or another incarnation (nothing done), -1 quarantine not
-- over, -2 refused: a new deployment's heal on a node that has served.
local now = node_time()
local mk = check_marker(KEYS[1], ARGV[1], ARGV[2], now)
if mk.ok or mk.id ~= ARGV[3] then
  return 0
end
if ARGV[5] == 'new-deployment' then
  if mk.lost ~= 'new' or mk.max ~= '0' then
    return -2
  end
elseif now.ms < mk.since + mk.q then
  return -1
end
-- Numbers stay strings when written: Lua would print a large double in exponent notation.
local floor, max = mk.floor, mk.max
if tonumber(ARGV[4]) > tonumber(floor) then floor = ARGV[4] end
if tonumber(floor) > tonumber(max) then max = floor end
redis.call('HSET', KEYS[1], 'state', 'ok', 'floor', floor, 'max', max, 'healed', ARGV[5],
  'healed_at', now.ms)
redis.call('HDEL', KEYS[1], 'lost')
return 1
