-- One gateway's presence changes for one room since its last flush, in one step: adds and removes
-- its own user|node entries, optionally refreshes all of them (heartbeat) and sweeps entries that
-- expired (their gateway crashed), then announces what changed for the room as a whole, at most a
-- bounded number of frames however many users changed:
--   presence.diff {room, joined, left} for clients that opted in, and for the others either one
--   presence.join / presence.leave per user (up to the cap) or one `presence` frame with the full list.
-- A user counts as present while any gateway has a live entry for them; join and leave of the same user
-- within one flush cancel out (the gateway sends only the user's final state).
--
-- Announcements are held per room, for every gateway at once: after an announcement of more changes than
-- the cap (a full list), the room's next one waits the first hold, and each further one while the storm goes
-- on doubles the wait up to the longest hold; a room that announces again within the grace after its hold
-- (busy: every announcement is a frame to every member) waits the first hold too. A call during a hold applies
-- its changes but announces nothing: it records what clients were told of each changed user, and the first
-- call after the hold, from any gateway, announces all of them. Each gateway whose call was held while changes
-- waited makes that call (with no changes of its own, if need be) once the hold is over; the first announces.
-- KEYS: 1 room presence zset (member user|node, score expiry ms), 2 the room's hold ("<until ms> <length ms>",
--       ending the grace after its end; expiring later), 3 the changes not yet announced (hash user -> '1'/'0': whether
--       clients were last told the user is present), 4 the presence index (hash user -> "|node|node|", the gateways
--       with an entry of the user in KEYS[1]; field '' -> how many entries it indexes; '@node' -> until when that node
--       is known to keep the index, in ms; '#expiry' -> when this script last set KEYS[1] to expire (Redis's clock,
--       ms); '#marked' -> '1' once another script was seen writing the room, until the index is rebuilt without it.
--       User ids are [A-Za-z0-9_.-]: no field of theirs starts with '@' or '#' or is empty)
-- A full list also holds the next announcement at least as long as the list's users take at the list rate: a big
-- room's members then get at most about that many user ids a second of lists, whatever its churn.
-- ARGV: 1 node, 2 now ms, 3 expiry ms for this node's entries, 4 key ttl ms, 5 room channel, 6 room,
--       7 cap of individual events, 8 sweep ('1'/'0'), 9 the publish command (PUBLISH, or SPUBLISH on a
--       Redis Cluster), 10 first hold ms (0: no holds), 11 longest hold ms, 12 grace ms, 13 list rate (users a
--       second; 0: none), 14 number of present users n, 15.. n present users (added or refreshed), then the absent
--       users (removed)
-- Returns {changes announced, the room's hold end in ms (0: none), 1 if this call's changes wait for the hold's end,
--          1 if the call looked up only the users it changed (0: it read the whole room)}.
--
-- Reading the whole room on every call cost Redis about 140 ms a call in a room of 100,000 (BENCHMARKS.md), and every
-- gateway calls once a hold. So the call looks up only the users it changes, through the index, while the index holds
-- every entry of the room. A gateway still on a script before the index (a rolling upgrade) writes entries the index
-- does not hold, and sweeps indexed ones out of the set. Every such call also sets the set's expiry, which this script
-- sets at a time of its own and remembers: a call that finds another expiry marks the room (sticky), and marked rooms,
-- or rooms whose counts differ, are read whole as before. A heartbeat's call (the sweep) of such a room indexes it
-- again once every entry in it is of a gateway that keeps the index, and that clears the mark.
-- The set's expiry is twice ARGV[4]. Another script's, ARGV[4] after its call, matches it only for a call ARGV[4]
-- after this script's last one; by then the index has expired (it lives 3 ms less than ARGV[4]), and a room without
-- an index is read whole. A gateway on this script with entries in the room calls at least once a heartbeat.
local node = ARGV[1]
local now = tonumber(ARGV[2])
local n = tonumber(ARGV[14])

-- An entry's user and node (user|node; the node after the last '|'), or nil.
local function split(m)
  return string.match(m, '^(.*)|([^|]*)$')
end

-- The index, kept by every call; `indexed` is how many entries it holds once this call is done.
local clock = redis.call('TIME')
local redisNow = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local zcard = redis.call('ZCARD', KEYS[1])
if zcard == 0 then
  redis.call('DEL', KEYS[4])
end
local state = redis.call('HMGET', KEYS[4], '', '#expiry', '#marked')
local indexed = tonumber(state[1] or '0')
local marked = state[3] == '1'
if zcard > 0 and not marked then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 or math.abs(redisNow + ttl - tonumber(state[2] or '-1')) > 2 then
    marked = true
  end
end
local complete = not marked and indexed == zcard
redis.call('HSET', KEYS[4], '@' .. node, ARGV[3])

-- Whether a node keeps the index (its mark is live), asked once per node and call.
local keeps = {}
local function keepsIndex(at)
  if keeps[at] == nil then
    local mark = redis.call('HGET', KEYS[4], '@' .. at)
    keeps[at] = mark ~= false and tonumber(mark) >= now
  end
  return keeps[at]
end

local function index(user, at)
  local nodes = redis.call('HGET', KEYS[4], user) or '|'
  if not string.find(nodes, '|' .. at .. '|', 1, true) then
    redis.call('HSET', KEYS[4], user, nodes .. at .. '|')
    indexed = indexed + 1
  end
end

local function unindex(user, at)
  local nodes = redis.call('HGET', KEYS[4], user)
  local from = nodes and string.find(nodes, '|' .. at .. '|', 1, true)
  if from then
    local rest = string.sub(nodes, 1, from) .. string.sub(nodes, from + #at + 2)
    if rest == '|' then
      redis.call('HDEL', KEYS[4], user)
    else
      redis.call('HSET', KEYS[4], user, rest)
    end
    indexed = indexed - 1
  end
end

-- Live entries per user before the change, and the users clients were told are present: live ones, and
-- those whose entries expired unannounced. With a complete index each changed user is looked up before
-- this call changes their entries; without one the whole room is read first.
local count = {}
local known = {}
local function lookUp(user)
  if complete and count[user] == nil then
    local live = 0
    local nodes = redis.call('HGET', KEYS[4], user)
    if nodes then
      for at in string.gmatch(nodes, '[^|]+') do
        local score = redis.call('ZSCORE', KEYS[1], user .. '|' .. at)
        if score and tonumber(score) >= now then
          live = live + 1
        end
      end
    end
    count[user] = live
    if live > 0 then
      known[user] = true
    end
  end
end
-- Whether the room holds live entries of a gateway that does not keep the index (read only without a complete index).
local foreign = false
if not complete then
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
    local user, at = split(m)
    if user then
      count[user] = (count[user] or 0) + 1
      known[user] = true
      foreign = foreign or not keepsIndex(at)
    end
  end
end

-- The sweep removes expired entries in the same step as it announces them, so each is announced once.
local changed = {}
if ARGV[8] == '1' then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
    for _, m in ipairs(expired) do
      local user, at = split(m)
      if user then
        lookUp(user)
        known[user] = true
        changed[user] = true
        unindex(user, at)
      end
    end
  end
end

-- A refreshed entry that was live changes nothing; an entry that is new, or had expired unswept, makes its user present.
-- (A heartbeat refreshes every local entry: those need no look-up.)
for i = 15, 14 + n do
  local user = ARGV[i]
  local member = user .. '|' .. node
  local live = redis.call('ZSCORE', KEYS[1], member)
  if not live or tonumber(live) < now then
    lookUp(user)
    count[user] = (count[user] or 0) + 1
    changed[user] = true
  end
  redis.call('ZADD', KEYS[1], ARGV[3], member)
  if not live or not complete then
    index(user, node)
  end
end
for i = 15 + n, #ARGV do
  local user = ARGV[i]
  local member = user .. '|' .. node
  lookUp(user)
  local live = redis.call('ZSCORE', KEYS[1], member)
  if live then
    redis.call('ZREM', KEYS[1], member)
    unindex(user, node)
    if tonumber(live) >= now then
      count[user] = count[user] - 1
    end
  end
  changed[user] = true
end

if not complete and ARGV[8] == '1' and not foreign then
  -- After the sweep every entry left is live or this call's: all of gateways that keep the index. Index the room
  -- again from them; the mark, if any, goes with the old index.
  local fields = {'@' .. node, ARGV[3]}
  local nodes = {}
  local seen = {[node] = true}
  indexed = 0
  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local user, at = split(m)
    if user then
      nodes[user] = (nodes[user] or '|') .. at .. '|'
      indexed = indexed + 1
      if not seen[at] then
        -- Marks of gateways with entries here stay; those of gateways long gone go with the old index.
        seen[at] = true
        fields[#fields + 1] = '@' .. at
        fields[#fields + 1] = redis.call('HGET', KEYS[4], '@' .. at)
      end
    end
  end
  redis.call('DEL', KEYS[4])
  marked = false
  for user, at in pairs(nodes) do
    fields[#fields + 1] = user
    fields[#fields + 1] = at
    if #fields >= 1000 then
      redis.call('HSET', KEYS[4], unpack(fields))
      fields = {}
    end
  end
  if #fields > 0 then
    redis.call('HSET', KEYS[4], unpack(fields))
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local expireAt = redisNow + 2 * tonumber(ARGV[4])
  redis.call('PEXPIREAT', KEYS[1], expireAt)
  redis.call('HSET', KEYS[4], '', indexed, '#expiry', expireAt, '#marked', marked and '1' or '0')
  -- The index goes before another script's call could set the same expiry (ARGV[4] after this one): a room that no
  -- gateway on this script called for that long has no index, and is read whole until a heartbeat indexes it again.
  redis.call('PEXPIREAT', KEYS[4], redisNow + tonumber(ARGV[4]) - 3)
else
  redis.call('DEL', KEYS[4])
end

local looked = complete and 1 or 0

-- Changes applied during a hold are still unannounced: clients hold what they were told before them.
local pending = redis.call('HGETALL', KEYS[3])
for i = 1, #pending, 2 do
  local user = pending[i]
  lookUp(user)
  changed[user] = true
  known[user] = pending[i + 1] == '1' or nil
end

-- The hold as of `now` (the caller's clock, not the key's expiry, which only cleans up): past its end and grace, none.
local grace = tonumber(ARGV[12])
local holdUntil, holdLength = 0, -1
local hold = redis.call('GET', KEYS[2])
if hold then
  local u, l = string.match(hold, '^(%d+) (%d+)$')
  if u and now <= tonumber(u) + grace then
    holdUntil, holdLength = tonumber(u), tonumber(l)
  end
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

-- Whatever happens next, what was unannounced is either announced now or recorded again below.
if #pending > 0 then
  redis.call('DEL', KEYS[3])
end
if holdUntil > now then
  if #joined + #left == 0 then
    return {0, holdUntil, 0, looked}
  end
  for _, user in ipairs(joined) do
    redis.call('HSET', KEYS[3], user, '0')
  end
  for _, user in ipairs(left) do
    redis.call('HSET', KEYS[3], user, '1')
  end
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
  return {0, holdUntil, 1, looked}
end
if #joined + #left == 0 then
  return {0, 0, 0, looked}
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
local listed = 0
if #joined + #left <= tonumber(ARGV[7]) then
  for _, user in ipairs(left) do
    redis.call(ARGV[9], ARGV[5], '{"type":"presence.leave","room":"' .. room .. '","user":"' .. user .. '"}')
  end
  for _, user in ipairs(joined) do
    redis.call(ARGV[9], ARGV[5], '{"type":"presence.join","room":"' .. room .. '","user":"' .. user .. '"}')
  end
else
  local users = {}
  if complete then
    -- Only the changed users were looked up: the list is read (once per hold, at most one list's worth a second).
    local seen = {}
    for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
      local user = split(m)
      if user and not seen[user] then
        seen[user] = true
        users[#users + 1] = user
      end
    end
  else
    for user, c in pairs(count) do
      if c > 0 then
        users[#users + 1] = user
      end
    end
  end
  table.sort(users)
  listed = #users
  redis.call(ARGV[9], ARGV[5], '{"type":"presence","room":"' .. room .. '","users":' .. list(users) .. '}')
end

local first = tonumber(ARGV[10])
if first <= 0 then
  return {#joined + #left, 0, 0, looked}
end
local length
if #joined + #left > tonumber(ARGV[7]) then
  length = holdLength <= 0 and first or math.min(tonumber(ARGV[11]), 2 * holdLength)
  local rate = tonumber(ARGV[13])
  if rate > 0 then
    length = math.max(length, math.ceil(listed * 1000 / rate))
  end
else
  -- A first announcement only marks the room; one within the grace after the last hold is a busy room's.
  length = holdLength < 0 and 0 or first
end
redis.call('SET', KEYS[2], (now + length) .. ' ' .. length, 'PX', length + 2 * grace)
return {#joined + #left, length > 0 and now + length or 0, 0, looked}
