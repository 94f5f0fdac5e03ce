-- Counts messages found gone from a room's recent log before they were stored, once across history replicas and
-- whatever order they find the losses in: the key holds the ranges counted so far (a sorted set of 'first:last'
-- scored by first, merged where they touch), and a range counts only its seqs that are in none of them.
-- KEYS: 1 the room's counted ranges
-- ARGV: 1 first lost seq, 2 last lost seq
-- Returns how many of them were not counted before.
local first = tonumber(ARGV[1])
local last = tonumber(ARGV[2])
if redis.call('TYPE', KEYS[1]).ok == 'string' then
  -- Written by an earlier version: the highest seq counted, everything below it counted too.
  local upTo = redis.call('GET', KEYS[1])
  redis.call('DEL', KEYS[1])
  redis.call('ZADD', KEYS[1], 1, '1:' .. upTo)
end
local fresh = last - first + 1
local lo, hi = first, last
-- Counted ranges are disjoint and never touch: walk down from the highest that starts at or before last + 1
-- until one ends before first - 1.
local ranges = redis.call('ZREVRANGEBYSCORE', KEYS[1], string.format('%d', last + 1), '-inf')
for _, range in ipairs(ranges) do
  local a, b = string.match(range, '^(%d+):(%d+)$')
  a = tonumber(a)
  b = tonumber(b)
  if b < first - 1 then
    break
  end
  local overlap = math.min(b, last) - math.max(a, first) + 1
  if overlap > 0 then
    fresh = fresh - overlap
  end
  lo = math.min(lo, a)
  hi = math.max(hi, b)
  redis.call('ZREM', KEYS[1], range)
end
redis.call('ZADD', KEYS[1], string.format('%d', lo), string.format('%d:%d', lo, hi))
return fresh
