-- Restores one room's counter after Redis lost its data, atomically with a new epoch, so the room's
-- seq never goes backwards and clients holding a position from before see `recovered: false`.
-- KEYS: 1 seq counter, 2 epoch, 3 history's stored position
-- ARGV: 1 counter value (highest seq history knows), 2 stored value (highest seq history has stored), 3 new epoch
-- Returns 1 if the counter was re-seeded, 0 if Redis already had it at least as high.
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[3])
local stored = redis.call('GET', KEYS[3])
if not stored or tonumber(stored) < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[3], ARGV[2])
end
return 1
