-- presence-update.lua as it was before per-room holds (commit 294abee's parent): what a gateway not yet upgraded
-- runs during a rolling upgrade. Kept only for PresenceRollingUpgradeTest; never loaded by the service.
-- One gateway's presence changes for one room since its last flush, in one step: adds and removes
-- its own user|node entries, optionally refreshes all of them (heartbeat) and sweeps entries that
-- expired (their gateway crashed), then announces what changed for the room as a whole, at most a
-- bounded number of frames however many users changed:
--   presence.diff {room, joined, left} for clients that opted in, and for the others either one
--   presence.join / presence.leave per user (up to the cap) or one `presence` frame with the full list.
-- A user counts as present while any gateway has a live entry for them; join and leave of the same user
-- within one flush cancel out (the gateway sends only the user's final state).
-- KEYS: 1 room presence zset (member user|node, score expiry ms)
-- ARGV: 1 node, 2 now ms, 3 expiry ms for this node's entries, 4 key ttl ms, 5 room channel, 6 room,
--       7 cap of individual events, 8 sweep ('1'/'0'), 9 the publish command (PUBLISH, or SPUBLISH on a
--       Redis Cluster), 10 number of present users n, 11.. n present users (added or refreshed), then the
--       absent users (removed)
-- Returns the number of users whose presence changed.
local node = ARGV[1]
local now = tonumber(ARGV[2])
local n = tonumber(ARGV[10])

-- Live entries per user before the change.
local count = {}
local before = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  local user = string.match(m, '^(.*)|[^|]*$')
  if user then
    count[user] = (count[user] or 0) + 1
    before[user] = true
  end
end

-- Users clients were told are present: live ones, and those whose entries expired unannounced. The
-- sweep removes expired entries in the same step as it announces them, so each is announced once.
local known = before
local changed = {}
if ARGV[8] == '1' then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
    for _, m in ipairs(expired) do
      local user = string.match(m, '^(.*)|[^|]*$')
      if user then
        known[user] = true
        changed[user] = true
      end
    end
  end
end

for i = 11, 10 + n do
  local user = ARGV[i]
  local member = user .. '|' .. node
  local live = redis.call('ZSCORE', KEYS[1], member)
  redis.call('ZADD', KEYS[1], ARGV[3], member)
  if not live or tonumber(live) < now then
    count[user] = (count[user] or 0) + 1
  end
  changed[user] = true
end
for i = 11 + n, #ARGV do
  local user = ARGV[i]
  local member = user .. '|' .. node
  local live = redis.call('ZSCORE', KEYS[1], member)
  if live then
    redis.call('ZREM', KEYS[1], member)
    if tonumber(live) >= now then
      count[user] = count[user] - 1
    end
  end
  changed[user] = true
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end

local joined, left = {}, {}
for user in pairs(changed) do
  local present = (count[user] or 0) > 0
  if present and not known[user] then
    joined[#joined + 1] = user
  elseif not present and known[user] then
    left[#left + 1] = user
  end
end
if #joined + #left == 0 then
  return 0
end
table.sort(joined)
table.sort(left)

-- Ids and room names are [A-Za-z0-9_.:-]: safe to write into JSON strings as they are.
local function list(users)
  if #users == 0 then
    return '[]'
  end
  return '["' .. table.concat(users, '","') .. '"]'
end
local room = ARGV[6]
redis.call(ARGV[9], ARGV[5], '{"type":"presence.diff","room":"' .. room .. '","joined":' .. list(joined)
  .. ',"left":' .. list(left) .. '}')
if #joined + #left <= tonumber(ARGV[7]) then
  for _, user in ipairs(left) do
    redis.call(ARGV[9], ARGV[5], '{"type":"presence.leave","room":"' .. room .. '","user":"' .. user .. '"}')
  end
  for _, user in ipairs(joined) do
    redis.call(ARGV[9], ARGV[5], '{"type":"presence.join","room":"' .. room .. '","user":"' .. user .. '"}')
  end
else
  local users = {}
  for user, c in pairs(count) do
    if c > 0 then
      users[#users + 1] = user
    end
  end
  table.sort(users)
  redis.call(ARGV[9], ARGV[5], '{"type":"presence","room":"' .. room .. '","users":' .. list(users) .. '}')
end
return #joined + #left
