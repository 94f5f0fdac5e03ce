-- Who a room's members were told is present: the live entries, with the changes a hold keeps unannounced
-- (presence-update.lua) taken back, so that a member who asks and then applies the announcements that follow
-- stays right.
-- KEYS: 1 room presence zset (member user|node, score expiry ms), 2 the changes not yet announced (hash user ->
--       '1'/'0': whether clients were last told the user is present)
-- ARGV: 1 now ms
-- Returns the users, each once, in no order.
local told = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')) do
  local user = string.match(m, '^(.*)|[^|]*$')
  if user then
    told[user] = true
  end
end
local unannounced = redis.call('HGETALL', KEYS[2])
for i = 1, #unannounced, 2 do
  told[unannounced[i]] = unannounced[i + 1] == '1' or nil
end
local users = {}
for user in pairs(told) do
  users[#users + 1] = user
end
return users
