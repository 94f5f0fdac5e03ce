-- Raises history's stored position for a room, never lowering it (several history instances, or a
-- late reply, may report an older position).
-- KEYS: 1 stored position
-- ARGV: 1 new position
-- Returns 1 if raised, 0 if the current value was already as high.
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
