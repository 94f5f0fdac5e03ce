-- Removes the group's other consumers that are idle longer than the bound and have nothing pending, in one atomic
-- step: a consumer that read entries between a separate XINFO and the delete would lose them from the group unstored.
-- KEYS: 1 the stream
-- ARGV: 1 group, 2 the caller's own consumer name, 3 idle bound (ms)
-- Returns the names removed.
local removed = {}
local bound = tonumber(ARGV[3])
for _, info in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, pending, idle
  for i = 1, #info - 1, 2 do
    if info[i] == 'name' then
      name = info[i + 1]
    elseif info[i] == 'pending' then
      pending = info[i + 1]
    elseif info[i] == 'idle' then
      idle = info[i + 1]
    end
  end
  if name and name ~= ARGV[2] and pending == 0 and idle and idle > bound then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    removed[#removed + 1] = name
  end
end
return removed
