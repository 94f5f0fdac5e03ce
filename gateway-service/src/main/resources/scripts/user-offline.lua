-- A user's last connection on this gateway closed: drop this node from the user's online set,
-- remember when they were last seen and, if no gateway has them any more, append a user.offline
-- event for push-notification workers.
-- KEYS: 1 user's online zset (member node), 2 last-seen key, 3 events stream (on a Redis Cluster, where
--       the stream lives in another slot, the last-seen key again and ARGV 5 is '0': the caller appends), 4 the
--       gateway's users set (user-online.lua; absent on a Redis Cluster: the caller removes the user there)
-- ARGV: 1 user, 2 node, 3 now ms, 4 events max length, 5 append the event here ('1'/'0')
-- Returns 1 if the user is offline now.
redis.call('ZREM', KEYS[1], ARGV[2])
if KEYS[4] then
  redis.call('SREM', KEYS[4], ARGV[1])
end
redis.call('SET', KEYS[2], ARGV[3])
if redis.call('ZCOUNT', KEYS[1], tonumber(ARGV[3]), '+inf') == 0 then
  if ARGV[5] == '1' then
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', tonumber(ARGV[4]), '*', 'type', 'user.offline', 'user', ARGV[1], 'ts', ARGV[3])
  end
  return 1
end
return 0
