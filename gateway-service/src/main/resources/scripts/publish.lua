-- Accepts one or more messages, atomically each and in the order given: per message the idempotency check,
-- seq assignment, append to the room's recent log (with retention trimming every Nth seq) and PUBLISH to the
-- room channel. Several messages in one call share the call's cost (a gateway batches the sends that arrive
-- within a short linger): Redis spends most of a one-message call entering and leaving the script.
-- ARGV 1-9, the call's: 1 min entries, 2 min age ms, 3 max entries, 4 idempotency ttl ms, 5 protect unstored ('1'/'0'),
--       6 events max length, 7 trim interval (retention runs when seq is a multiple of it), 8 the publish command
--       (PUBLISH, or SPUBLISH on a Redis Cluster), 9 the call's tag, returned last (matches the reply to its call
--       on a connection that also carries pushes)
-- Then per message 10 ARGV and 9 KEYS, the n-th message's at ARGV 10+10(n-1) and KEYS 1+9(n-1), numbered here from 1:
-- KEYS: 1 seq counter, 2 epoch, 3 recent log (stream), 4 idempotency key (may be a dummy), 5 generation, 6 history's stored position,
--       7 events stream, 8 recipient's online set (direct messages only; else a dummy), 9 the room's re-seed request
-- ARGV: 1 room, 2 from, 3 payload without its closing fields (the gateway encodes it: '{"type":"message",...,"text":"..."'),
--       4 cid ('' for none), 5 epoch to use if the room is new, 6 channel,
--       7 sender's user channel and 8 recipient's user channel (direct messages; else ''), 9 recipient,
--       10 the room's slot channel for history (Redis Cluster; else '')
-- On a Redis Cluster a call carries one message and every key is in the room's slot: KEYS 5 is the slot's
-- generation marker, and the caller passes '' for ARGV 7 and 8 (user channels and the offline event live in
-- other slots; it publishes and appends them after this script).
-- Returns, per message in order, 'ok', seq, ts | 'dup', seq, ts | 'reseed', 0, 0 | 'error', what Redis raised, 0;
-- then the tag.
-- The call's time in ms, read once: the messages of one call are accepted at the same instant.
local callTs
local function now()
  if not callTs then
    local time = redis.call('TIME')
    callTs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  end
  return callTs
end

-- k and a: the offsets of the message's keys and arguments (KEYS[k + 1] is its seq counter).
local function accept(k, a)
  local cid = ARGV[a + 4]
  -- One read for both the idempotency key and the counter (same hash slot).
  local found = redis.call('MGET', KEYS[k + 4], KEYS[k + 1])
  if cid ~= '' and found[1] then
    local s, t = string.match(found[1], '^(%d+):(%d+)$')
    return 'dup', tonumber(s), tonumber(t)
  end

  if not found[2] then
    -- No counter: a new room if Redis still holds its generation marker and nothing of the room;
    -- otherwise the counter was lost and must be re-seeded from history (never restart a known room at 1).
    local generation = redis.call('GET', KEYS[k + 5])
    if not generation then
      return 'reseed', 0, 0
    end
    if redis.call('EXISTS', KEYS[k + 2], KEYS[k + 3], KEYS[k + 6]) > 0 then
      -- Ask history for a re-seed: it runs while the generation marker is gone and restores every
      -- counter it knows under a new epoch. The request remembers the generation and epoch it was made in.
      local epoch = redis.call('GET', KEYS[k + 2]) or ''
      local asked = redis.call('GET', KEYS[k + 9])
      if asked ~= false and asked ~= generation .. ' ' .. epoch and string.sub(asked, -#epoch - 1) == ' ' .. epoch then
        -- A re-seed ran since (the generation changed) and did not restore this counter (the epoch did
        -- not change): history holds none of the room's messages beyond its stored position, so the room
        -- goes on from there (or from its log's tail) under a new epoch.
        local start = tonumber(redis.call('GET', KEYS[k + 6]) or '0')
        local last = redis.call('XREVRANGE', KEYS[k + 3], '+', '-', 'COUNT', 1)[1]
        if last then
          start = math.max(start, tonumber(string.match(last[1], '^(%d+)')))
        end
        redis.call('SET', KEYS[k + 1], string.format('%d', start))
        redis.call('SET', KEYS[k + 2], ARGV[a + 5])
        redis.call('DEL', KEYS[k + 9])
      else
        redis.call('SET', KEYS[k + 9], generation .. ' ' .. epoch)
        redis.call('DEL', KEYS[k + 5])
        return 'reseed', 0, 0
      end
    else
      -- A new room: the epoch its joins announced before this first message (join.lua).
      redis.call('SET', KEYS[k + 2], generation)
    end
  end

  local seq = redis.call('INCR', KEYS[k + 1])
  local ts = now()
  local seqText = string.format('%d', seq)
  local tsText = string.format('%d', ts)
  local payload = ARGV[a + 3] .. ',"seq":' .. seqText .. ',"ts":' .. tsText .. '}'

  redis.call('XADD', KEYS[k + 3], seqText .. '-0', 'm', payload, 't', tsText)

  -- Retention, every Nth seq only: keep at least min entries and everything younger than min age;
  -- with protection on, keep what history has not stored yet; never much more than max entries.
  -- Entries are only ever trimmed from the front, whole stream nodes at a time (MINID ~ and MAXLEN ~
  -- never remove an entry at or above the bound they are given).
  if seq % tonumber(ARGV[7]) == 0 then
    local cut = seq - tonumber(ARGV[1])
    if ARGV[5] == '1' then
      cut = math.min(cut, tonumber(redis.call('GET', KEYS[k + 6]) or '0'))
    end
    local oldest = ts - tonumber(ARGV[2])
    local first = redis.call('XRANGE', KEYS[k + 3], '-', '+', 'COUNT', 1)[1]
    if first and tonumber(first[2][4]) < oldest then
      local lo = tonumber(string.match(first[1], '^(%d+)'))
      if lo <= cut then
        -- Timestamps grow with seq: find (to within a stream node) the highest seq <= cut older than min age.
        local hi = cut
        local probe = redis.call('XREVRANGE', KEYS[k + 3], string.format('%d', hi), '-', 'COUNT', 1)[1]
        if tonumber(probe[2][4]) >= oldest then
          while hi - lo > 64 do
            local mid = math.floor((lo + hi) / 2)
            probe = redis.call('XREVRANGE', KEYS[k + 3], string.format('%d', mid), '-', 'COUNT', 1)[1]
            if tonumber(probe[2][4]) < oldest then
              lo = mid
            else
              hi = mid
            end
          end
          cut = lo
        end
        redis.call('XTRIM', KEYS[k + 3], 'MINID', '~', string.format('%d', cut + 1))
      end
    end
    redis.call('XTRIM', KEYS[k + 3], 'MAXLEN', '~', ARGV[3])
  end

  redis.call(ARGV[8], ARGV[a + 6], payload)
  if ARGV[a + 10] ~= '' then
    redis.call('SPUBLISH', ARGV[a + 10], payload)
  end
  if ARGV[a + 7] ~= '' then
    -- Direct message: every connection of both users gets it without joining the room.
    redis.call('PUBLISH', ARGV[a + 7], payload)
    if ARGV[a + 8] ~= ARGV[a + 7] then
      redis.call('PUBLISH', ARGV[a + 8], payload)
      if redis.call('ZCOUNT', KEYS[k + 8], ts, '+inf') == 0 then
        redis.call('XADD', KEYS[k + 7], 'MAXLEN', '~', ARGV[6], '*', 'type', 'dm.offline',
          'user', ARGV[a + 9], 'room', ARGV[a + 1], 'seq', seqText, 'from', ARGV[a + 2], 'ts', tsText)
      end
    end
  end
  if cid ~= '' then
    redis.call('SET', KEYS[k + 4], seqText .. ':' .. tsText, 'PX', ARGV[4])
  end
  return 'ok', seq, ts
end

local reply = {}
for n = 0, (#ARGV - 9) / 10 - 1 do
  -- A message's error (a key of the wrong type, Redis out of memory) is its own: the others still go through.
  local ran, status, seq, ts = pcall(accept, n * 9, 9 + n * 10)
  if not ran then
    status, seq, ts = 'error', type(status) == 'table' and status.err or tostring(status), 0
  end
  reply[#reply + 1] = status
  reply[#reply + 1] = seq
  reply[#reply + 1] = ts
end
reply[#reply + 1] = ARGV[9]
return reply
