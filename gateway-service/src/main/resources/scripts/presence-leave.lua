-- A user's last connection on this gateway left a room: drop user|node and, if no other gateway still
-- has the user in the room, announce presence.leave.
-- KEYS: 1 room presence zset
-- ARGV: 1 user, 2 node, 3 now ms, 4 room channel, 5 room
local prefix = ARGV[1] .. '|'
redis.call('ZREM', KEYS[1], prefix .. ARGV[2])
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], tonumber(ARGV[3]), '+inf')) do
  if string.sub(m, 1, #prefix) == prefix then
    return 0
  end
end
redis.call('PUBLISH', ARGV[4], cjson.encode({type = 'presence.leave', room = ARGV[5], user = ARGV[1]}))
return 1
