-- A gateway found past its heartbeat is claimed by the one that will clear what it left (gateway sweep): only if its
-- heartbeat has still run out (it may have come back since it was read), by moving it to the claim's lease, so that a
-- sweep that fails midway is taken up again by whoever finds the lease run out.
-- KEYS: 1 the gateways zset (member node, score heartbeat expiry ms)
-- ARGV: 1 node, 2 now ms, 3 lease expiry ms
-- Returns 1 if claimed.
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
