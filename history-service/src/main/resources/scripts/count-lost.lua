-- Counts messages found gone from a room's recent log before they were stored, once across history replicas: each
-- replica that finds the same range counts only the part above what was counted before.
-- KEYS: 1 the room's highest seq counted as lost
-- ARGV: 1 first lost seq, 2 last lost seq
-- Returns how many of them were not counted before.
local counted = tonumber(redis.call('GET', KEYS[1]) or '0')
local first = tonumber(ARGV[1])
local last = tonumber(ARGV[2])
if last <= counted then
  return 0
end
if first <= counted then
  first = counted + 1
end
redis.call('SET', KEYS[1], ARGV[2])
return last - first + 1
