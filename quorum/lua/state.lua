-- state.lua: read the node's marker (after the prologue's check), for healing.
-- KEYS[1] node marker   ARGV[1] run_id of the server process   ARGV[2] quarantine (ms)
-- Returns {ok, node_max, floor, incarnation, age_ms, quarantine_ms, lost, node time (µs)}:
-- ok is 1 for a healthy node, 0 for an amnesic one; lost is 1 (no marker was found) or
-- 2 (restart) for an amnesic node, 0 otherwise.
local now = node_time()
local mk = check_marker(KEYS[1], ARGV[1], ARGV[2], now)
local ok, lost = 1, 0
if not mk.ok then ok, lost = 0, lost_code(mk) end
return {ok, tonumber(mk.max), tonumber(mk.floor), mk.id, now.ms - mk.since, mk.q, lost, now.us}
