-- Accepts one message for a room, atomically: idempotency check, seq assignment,
-- append to the recent log (with retention trimming) and PUBLISH to the room channel.
-- KEYS: 1 seq counter, 2 epoch, 3 recent log (stream), 4 idempotency key (may be a dummy), 5 generation, 6 history's stored position,
--       7 events stream, 8 recipient's online set (direct messages only; else a dummy)
-- ARGV: 1 room, 2 from, 3 text, 4 cid ('' for none), 5 epoch to use if the room is new,
--       6 min entries, 7 min age ms, 8 max entries, 9 idempotency ttl ms, 10 channel, 11 protect unstored ('1'/'0'),
--       12 sender's user channel and 13 recipient's user channel (direct messages; else ''), 14 recipient, 15 events max length,
--       16 W3C traceparent of the publish span ('' when tracing is off; optional)
-- Returns {'ok', seq, ts} | {'dup', seq, ts} | {'reseed'}
local cid = ARGV[4]
if cid ~= '' then
  local prev = redis.call('GET', KEYS[4])
  if prev then
    local s, t = string.match(prev, '^(%d+):(%d+)$')
    return {'dup', tonumber(s), tonumber(t)}
  end
end

if redis.call('EXISTS', KEYS[1]) == 0 then
  -- No counter: a new room if Redis still holds its generation marker, otherwise Redis lost its
  -- data and the counter must be re-seeded from history first (never restart a known room at 1).
  if redis.call('EXISTS', KEYS[5]) == 0 then
    return {'reseed'}
  end
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('SET', KEYS[2], ARGV[5])
  end
end

local seq = redis.call('INCR', KEYS[1])
local now = redis.call('TIME')
local ts = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)

local msg = {type = 'message', room = ARGV[1], seq = seq, from = ARGV[2], text = ARGV[3], ts = ts}
if cid ~= '' then
  msg.cid = cid
end
-- Tracing only: the history service continues the trace from here (an optional field; clients ignore it).
if ARGV[16] and ARGV[16] ~= '' then
  msg.traceparent = ARGV[16]
end
local payload = cjson.encode(msg)

redis.call('XADD', KEYS[3], seq .. '-0', 'm', payload, 't', ts)

-- Retention: keep at least min entries and everything younger than min age; with protection on,
-- keep what history has not stored yet; never exceed max entries. At most a few deletions per
-- publish keeps the script O(1) while the log converges.
local minEntries = tonumber(ARGV[6])
local oldest = ts - tonumber(ARGV[7])
local stored = tonumber(redis.call('GET', KEYS[6]) or '0')
local protect = ARGV[11] == '1'
local excess = redis.call('XLEN', KEYS[3]) - minEntries
local rounds = 0
while excess > 0 and rounds < 4 do
  local first = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)[1]
  local firstSeq = tonumber(string.match(first[1], '^(%d+)'))
  local firstTs = tonumber(first[2][4])
  if firstTs >= oldest or (protect and firstSeq > stored) then
    break
  end
  redis.call('XDEL', KEYS[3], first[1])
  excess = excess - 1
  rounds = rounds + 1
end
redis.call('XTRIM', KEYS[3], 'MAXLEN', '~', tonumber(ARGV[8]))

redis.call('PUBLISH', ARGV[10], payload)
if ARGV[12] ~= '' then
  -- Direct message: every connection of both users gets it without joining the room.
  redis.call('PUBLISH', ARGV[12], payload)
  if ARGV[13] ~= ARGV[12] then
    redis.call('PUBLISH', ARGV[13], payload)
    if redis.call('ZCOUNT', KEYS[8], ts, '+inf') == 0 then
      redis.call('XADD', KEYS[7], 'MAXLEN', '~', tonumber(ARGV[15]), '*', 'type', 'dm.offline',
        'user', ARGV[14], 'room', ARGV[1], 'seq', seq, 'from', ARGV[2], 'ts', ts)
    end
  end
end
if cid ~= '' then
  redis.call('SET', KEYS[4], seq .. ':' .. ts, 'PX', tonumber(ARGV[9]))
end
return {'ok', seq, ts}
