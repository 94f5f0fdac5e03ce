-- Raises history's stored position of one or more rooms, never lowering one (several history
-- instances, or a late reply, may report an older position). One call carries every room whose
-- position moved since the last tick (on a Redis Cluster: one room per call, in its slot).
-- KEYS: 1..n stored positions
-- ARGV: 1..n the new positions, in the same order
-- Returns how many positions were raised.
local raised = 0
for i = 1, #KEYS do
  local current = tonumber(redis.call('GET', KEYS[i]) or '-1')
  if tonumber(ARGV[i]) > current then
    redis.call('SET', KEYS[i], ARGV[i])
    raised = raised + 1
  end
end
return raised
