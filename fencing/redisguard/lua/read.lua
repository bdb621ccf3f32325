-- read.lua: a consistent snapshot of a guarded key; changes nothing.
-- KEYS[1] value key (string)   KEYS[2] meta key (hash: fence, version); one {hash tag}
-- Returns {fence, version, value} (0, 0 and '' for a key never fenced or written).
local m = redis.call('HMGET', KEYS[2], 'fence', 'version')
return {tonumber(m[1] or '0'), tonumber(m[2] or '0'), redis.call('GET', KEYS[1]) or ''}
