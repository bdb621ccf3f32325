-- heal.lua: end the quarantine of a node that lost its data.
-- KEYS[1] node marker
-- ARGV[1] incarnation seen quarantined   ARGV[2] floor (decimal, < 2^53)
-- ARGV[3] "1" to bootstrap a new deployment without waiting for the quarantine
-- Returns 1 healed, 0 not amnesic or another incarnation (nothing done), -1 quarantine not over.
local m = redis.call('HMGET', KEYS[1], 'state', 'id', 'since', 'q', 'max')
if m[1] ~= 'amnesic' or m[2] ~= ARGV[1] then
  return 0
end
if ARGV[3] ~= '1' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now < tonumber(m[3]) + tonumber(m[4]) then
    return -1
  end
end
-- Numbers stay strings when written: Lua would print a large double in exponent notation.
local max = m[5]
if tonumber(ARGV[2]) > tonumber(max) then max = ARGV[2] end
redis.call('HSET', KEYS[1], 'state', 'ok', 'floor', ARGV[2], 'max', max)
return 1
