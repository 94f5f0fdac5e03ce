-- Removes entries whose gateway stopped refreshing them (it crashed) and announces presence.leave for
-- every user who is now in the room on no gateway at all.
-- KEYS: 1 room presence zset
-- ARGV: 1 now ms, 2 room channel, 3 room
local now = tonumber(ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
if #expired == 0 then
  return 0
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
local live = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  live[string.match(m, '^([^|]*)|')] = true
end
local announced = 0
for _, m in ipairs(expired) do
  local user = string.match(m, '^([^|]*)|')
  if user and not live[user] then
    live[user] = true
    redis.call('PUBLISH', ARGV[2], cjson.encode({type = 'presence.leave', room = ARGV[3], user = user}))
    announced = announced + 1
  end
end
return announced
