-- MUTANT (blind-release), for tests only: release deletes the key without checking its owner.
-- Same KEYS and ARGV as release.lua.
redis.call('DEL', KEYS[1])
return 1
