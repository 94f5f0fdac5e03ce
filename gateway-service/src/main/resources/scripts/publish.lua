-- Accepts one message for a room, atomically: idempotency check, seq assignment, append to the
-- recent log (with retention trimming every Nth seq) and PUBLISH to the room channel.
-- KEYS: 1 seq counter, 2 epoch, 3 recent log (stream), 4 idempotency key (may be a dummy), 5 generation, 6 history's stored position,
--       7 events stream, 8 recipient's online set (direct messages only; else a dummy), 9 the room's re-seed request
-- ARGV: 1 room, 2 from, 3 payload without its closing fields (the gateway encodes it: '{"type":"message",...,"text":"..."'),
--       4 cid ('' for none), 5 epoch to use if the room is new,
--       6 min entries, 7 min age ms, 8 max entries, 9 idempotency ttl ms, 10 channel, 11 protect unstored ('1'/'0'),
--       12 sender's user channel and 13 recipient's user channel (direct messages; else ''), 14 recipient, 15 events max length,
--       16 trim interval (retention runs when seq is a multiple of it), 17 the publish command (PUBLISH, or
--       SPUBLISH on a Redis Cluster), 18 the room's slot channel for history (Redis Cluster; else ''),
--       19 the call's tag, returned last (matches the reply to its call on a connection that also carries pushes)
-- On a Redis Cluster every key is in the room's slot: KEYS 5 is the slot's generation marker, and the
-- caller passes '' for ARGV 12 and 13 (user channels and the offline event live in other slots; it
-- publishes and appends them after this script).
-- Returns {'ok', seq, ts, tag} | {'dup', seq, ts, tag} | {'reseed', tag}
local cid = ARGV[4]
-- One read for both the idempotency key and the counter (same hash slot).
local found = redis.call('MGET', KEYS[4], KEYS[1])
if cid ~= '' and found[1] then
  local s, t = string.match(found[1], '^(%d+):(%d+)$')
  return {'dup', tonumber(s), tonumber(t), ARGV[19]}
end

if not found[2] then
  -- No counter: a new room if Redis still holds its generation marker and nothing of the room;
  -- otherwise the counter was lost and must be re-seeded from history (never restart a known room at 1).
  local generation = redis.call('GET', KEYS[5])
  if not generation then
    return {'reseed', ARGV[19]}
  end
  if redis.call('EXISTS', KEYS[2], KEYS[3], KEYS[6]) > 0 then
    -- Ask history for a re-seed: it runs while the generation marker is gone and restores every
    -- counter it knows under a new epoch. The request remembers the generation and epoch it was made in.
    local epoch = redis.call('GET', KEYS[2]) or ''
    local asked = redis.call('GET', KEYS[9])
    if asked ~= false and asked ~= generation .. ' ' .. epoch and string.sub(asked, -#epoch - 1) == ' ' .. epoch then
      -- A re-seed ran since (the generation changed) and did not restore this counter (the epoch did
      -- not change): history holds none of the room's messages beyond its stored position, so the room
      -- goes on from there (or from its log's tail) under a new epoch.
      local start = tonumber(redis.call('GET', KEYS[6]) or '0')
      local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)[1]
      if last then
        start = math.max(start, tonumber(string.match(last[1], '^(%d+)')))
      end
      redis.call('SET', KEYS[1], string.format('%d', start))
      redis.call('SET', KEYS[2], ARGV[5])
      redis.call('DEL', KEYS[9])
    else
      redis.call('SET', KEYS[9], generation .. ' ' .. epoch)
      redis.call('DEL', KEYS[5])
      return {'reseed', ARGV[19]}
    end
  else
    redis.call('SET', KEYS[2], ARGV[5])
  end
end

local seq = redis.call('INCR', KEYS[1])
local now = redis.call('TIME')
local ts = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local seqText = string.format('%d', seq)
local tsText = string.format('%d', ts)
local payload = ARGV[3] .. ',"seq":' .. seqText .. ',"ts":' .. tsText .. '}'

redis.call('XADD', KEYS[3], seqText .. '-0', 'm', payload, 't', tsText)

-- Retention, every Nth seq only: keep at least min entries and everything younger than min age;
-- with protection on, keep what history has not stored yet; never much more than max entries.
-- Entries are only ever trimmed from the front, whole stream nodes at a time (MINID ~ and MAXLEN ~
-- never remove an entry at or above the bound they are given).
if seq % tonumber(ARGV[16]) == 0 then
  local cut = seq - tonumber(ARGV[6])
  if ARGV[11] == '1' then
    cut = math.min(cut, tonumber(redis.call('GET', KEYS[6]) or '0'))
  end
  local oldest = ts - tonumber(ARGV[7])
  local first = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)[1]
  if first and tonumber(first[2][4]) < oldest then
    local lo = tonumber(string.match(first[1], '^(%d+)'))
    if lo <= cut then
      -- Timestamps grow with seq: find (to within a stream node) the highest seq <= cut older than min age.
      local hi = cut
      local probe = redis.call('XREVRANGE', KEYS[3], string.format('%d', hi), '-', 'COUNT', 1)[1]
      if tonumber(probe[2][4]) >= oldest then
        while hi - lo > 64 do
          local mid = math.floor((lo + hi) / 2)
          probe = redis.call('XREVRANGE', KEYS[3], string.format('%d', mid), '-', 'COUNT', 1)[1]
          if tonumber(probe[2][4]) < oldest then
            lo = mid
          else
            hi = mid
          end
        end
        cut = lo
      end
      redis.call('XTRIM', KEYS[3], 'MINID', '~', string.format('%d', cut + 1))
    end
  end
  redis.call('XTRIM', KEYS[3], 'MAXLEN', '~', ARGV[8])
end

redis.call(ARGV[17], ARGV[10], payload)
if ARGV[18] ~= '' then
  redis.call('SPUBLISH', ARGV[18], payload)
end
if ARGV[12] ~= '' then
  -- Direct message: every connection of both users gets it without joining the room.
  redis.call('PUBLISH', ARGV[12], payload)
  if ARGV[13] ~= ARGV[12] then
    redis.call('PUBLISH', ARGV[13], payload)
    if redis.call('ZCOUNT', KEYS[8], ts, '+inf') == 0 then
      redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[15], '*', 'type', 'dm.offline',
        'user', ARGV[14], 'room', ARGV[1], 'seq', seqText, 'from', ARGV[2], 'ts', tsText)
    end
  end
end
if cid ~= '' then
  redis.call('SET', KEYS[4], seqText .. ':' .. tsText, 'PX', ARGV[9])
end
return {'ok', seq, ts, ARGV[19]}
