-- Writes back idempotency records Redis lost, each for what is left of its window by Redis's clock (the one
-- publish.lua stamps messages with), never over a record Redis holds (NX).
-- KEYS: the records (of one hash slot on a Redis Cluster)
-- ARGV: 1 the idempotency window in ms, then per key its message's seq and ts
-- Returns the number of records written.
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
local written = 0
for i, key in ipairs(KEYS) do
  local seq = ARGV[2 * i]
  local ts = ARGV[2 * i + 1]
  local left = window - (nowMs - tonumber(ts))
  if left > 0 and redis.call('SET', key, seq .. ':' .. ts, 'PX', left, 'NX') then
    written = written + 1
  end
end
return written
