-- Heartbeat: pushes this gateway's entries forward in time so they do not expire while it lives.
-- KEYS: presence zsets (a room's, or users' online sets), each given the same members: the online heartbeat
--       refreshes many users in one call, where a call per user cost Redis a script entry each
-- ARGV: 1 expiry ms, 2 key ttl ms, 3.. members
local expiry = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
for k = 1, #KEYS do
  for i = 3, #ARGV do
    redis.call('ZADD', KEYS[k], expiry, ARGV[i])
  end
  redis.call('PEXPIRE', KEYS[k], ttl)
end
return #ARGV - 2
