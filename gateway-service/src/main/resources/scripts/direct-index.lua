-- Records, before a direct message is published, that the room has a message now (Redis time), so a gateway that
-- missed it while cut off from Redis finds the room even if it never delivered anything of it to this user.
-- KEYS: 1 the user's direct-room index (sorted set: room -> time of its latest message, ms)
-- ARGV: 1 room, 2 retention ms (older rooms drop out; the whole index expires after it)
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], string.format('%d', ms), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', ms - tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return ms
