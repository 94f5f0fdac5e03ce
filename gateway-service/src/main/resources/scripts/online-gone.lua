-- A gateway's online entry for a user that outlived the gateway (it crashed, or it was restarted under the same name):
-- removed if it was last refreshed before the cutoff, with the user's last-seen time set to that last refresh and, if
-- no gateway has the user any more, a user.offline event, as the gateway's own close of the user would have made.
-- KEYS: 1 user's online zset (member node, score expiry ms), 2 last-seen key, 3 events stream (on a Redis Cluster, where
--       the stream lives in another slot, the last-seen key again and ARGV 7 is '0': the caller appends), 4 optional:
--       the gateway's users set, to drop the user from unless the entry is kept (a live process's own set, on a standalone
--       Redis: in the same step, so that a connect of the user right after it adds them back)
-- ARGV: 1 user, 2 node, 3 cutoff ms (an entry expiring at or after it was refreshed by a live gateway of that name:
--       kept), 4 entry ttl ms (expiry - ttl = the last refresh), 5 now ms, 6 events max length, 7 append ('1'/'0')
-- Returns {0} without an entry of the node, {1} for a kept entry, {2, seen} once removed with the user still online
-- elsewhere, {3, seen} once removed with the user offline.
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if score and tonumber(score) >= tonumber(ARGV[3]) then
  return {1}
end
if KEYS[4] then
  redis.call('SREM', KEYS[4], ARGV[1])
end
if not score then
  return {0}
end
redis.call('ZREM', KEYS[1], ARGV[2])
local seen = tonumber(score) - tonumber(ARGV[4])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if seen > last then
  redis.call('SET', KEYS[2], seen)
end
if redis.call('ZCOUNT', KEYS[1], tonumber(ARGV[5]), '+inf') > 0 then
  return {2, seen}
end
if ARGV[7] == '1' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', tonumber(ARGV[6]), '*', 'type', 'user.offline', 'user', ARGV[1], 'ts', tostring(seen))
end
return {3, seen}
