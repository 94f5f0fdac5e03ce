-- Reads a room's position for a join and, with `since`, the messages a client missed.
-- KEYS: 1 seq counter, 2 epoch, 3 recent log, 4 generation
-- ARGV: 1 since ('' for none), 2 client's epoch ('' for none), 3 epoch to use if the room is new, 4 max replay,
--       5 first chunk: most payloads returned (the gateway reads the rest of the gap in chunks of the same size)
-- Returns {'reseed'} | {'ok', seq, epoch, recovered (-1 no since, 0 no, 1 yes), payload...}
local seq = redis.call('GET', KEYS[1])
if not seq then
  if redis.call('EXISTS', KEYS[4]) == 0 then
    return {'reseed'}
  end
  seq = '0'
end
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[2], epoch)
end
local head = tonumber(seq)
if ARGV[1] == '' then
  return {'ok', head, epoch, -1}
end
local since = tonumber(ARGV[1])
if (ARGV[2] ~= '' and ARGV[2] ~= epoch) or since > head or head - since > tonumber(ARGV[4]) then
  return {'ok', head, epoch, 0}
end
if since == head then
  return {'ok', head, epoch, 1}
end
local entries = redis.call('XRANGE', KEYS[3], since + 1, head, 'COUNT', tonumber(ARGV[5]))
if #entries == 0 or tonumber(string.match(entries[1][1], '^(%d+)')) ~= since + 1 then
  return {'ok', head, epoch, 0}
end
local out = {'ok', head, epoch, 1}
for i, entry in ipairs(entries) do
  -- Contiguous from since + 1: the gateway continues after the last one returned.
  if tonumber(string.match(entry[1], '^(%d+)')) ~= since + i then
    break
  end
  out[#out + 1] = entry[2][2]
end
return out
