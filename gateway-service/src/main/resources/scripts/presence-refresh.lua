-- Heartbeat: pushes this gateway's entries forward in time so they do not expire while it lives.
-- KEYS: 1 presence zset (a room's, or a user's online set)
-- ARGV: 1 expiry ms, 2 key ttl ms, 3.. members
for i = 3, #ARGV do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]), ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return #ARGV - 2
