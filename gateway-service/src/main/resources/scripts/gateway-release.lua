-- A claimed gateway's sweep is done: it leaves the gateways zset, unless it came back meanwhile (its own heartbeat
-- replaced the claim's lease).
-- KEYS: 1 the gateways zset
-- ARGV: 1 node, 2 the claim's lease expiry ms
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
