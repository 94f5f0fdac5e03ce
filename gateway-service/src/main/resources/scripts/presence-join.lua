-- A user's first connection on this gateway joined a room: record user|node with an expiry and, if no
-- other gateway has the user in the room, announce presence.join to the room.
-- KEYS: 1 room presence zset (member user|node, score expiry ms)
-- ARGV: 1 user, 2 node, 3 now ms, 4 ttl ms, 5 room channel, 6 room
local prefix = ARGV[1] .. '|'
local member = prefix .. ARGV[2]
local now = tonumber(ARGV[3])
local already = false
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  if string.sub(m, 1, #prefix) == prefix then
    already = true
    break
  end
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), member)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) * 2)
if not already then
  redis.call('PUBLISH', ARGV[5], cjson.encode({type = 'presence.join', room = ARGV[6], user = ARGV[1]}))
  return 1
end
return 0
