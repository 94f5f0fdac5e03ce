-- A user's first connection on this gateway opened: the gateway's entry in the user's online set, and the user in the
-- gateway's own set (what a live gateway clears if this one crashes: gateway-sweep).
-- KEYS: 1 user's online zset (member node, score expiry ms), 2 the gateway's users set (absent on a Redis Cluster, where
--       it lives in another slot: the caller adds the user there)
-- ARGV: 1 expiry ms, 2 key ttl ms, 3 node, 4 user
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
if KEYS[2] then
  redis.call('SADD', KEYS[2], ARGV[4])
end
return 1
