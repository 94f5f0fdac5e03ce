-- Reads a room's position for a join and, with `since`, the messages a client missed.
-- KEYS: 1 seq counter, 2 epoch, 3 recent log, 4 generation, 5 history's stored position, 6 the room's re-seed request
-- ARGV: 1 since ('' for none), 2 client's epoch ('' for none), 3 epoch to use if the room is new, 4 max replay,
--       5 first chunk: most payloads returned (the gateway reads the rest of the gap in chunks of the same size)
-- Returns {'reseed'} | {'ok', seq, epoch, recovered (-1 no since, 0 no, 1 yes), payload...}
local seq = redis.call('GET', KEYS[1])
local epoch
if not seq then
  -- As in publish.lua: a room is new only while Redis holds its generation marker and nothing of the
  -- room; a counter missing beside the room's other keys was lost and is re-seeded, never restarted.
  local generation = redis.call('GET', KEYS[4])
  if not generation then
    return {'reseed'}
  end
  if redis.call('EXISTS', KEYS[2], KEYS[3], KEYS[5]) > 0 then
    local epoch = redis.call('GET', KEYS[2]) or ''
    local asked = redis.call('GET', KEYS[6])
    if asked ~= false and asked ~= generation .. ' ' .. epoch and string.sub(asked, -#epoch - 1) == ' ' .. epoch then
      local start = tonumber(redis.call('GET', KEYS[5]) or '0')
      local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)[1]
      if last then
        start = math.max(start, tonumber(string.match(last[1], '^(%d+)')))
      end
      seq = string.format('%d', start)
      redis.call('SET', KEYS[2], ARGV[3])
      redis.call('DEL', KEYS[6])
    else
      redis.call('SET', KEYS[6], generation .. ' ' .. epoch)
      redis.call('DEL', KEYS[4])
      return {'reseed'}
    end
    -- The counter is created with the epoch, so an epoch without a counter always means a loss.
    redis.call('SET', KEYS[1], seq)
  else
    -- A room nobody has posted in: nothing is written, so joins of ever new names leave no key behind. Its epoch is
    -- the generation marker's, which the room's first message writes (publish.lua): a client that joined it keeps it,
    -- and a data loss (a new generation) changes it.
    seq = '0'
    epoch = generation
  end
end
if not epoch then
  epoch = redis.call('GET', KEYS[2])
  if not epoch then
    epoch = ARGV[3]
    redis.call('SET', KEYS[2], epoch)
  end
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
