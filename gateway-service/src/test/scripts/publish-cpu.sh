#!/bin/bash
# Redis CPU per send of publish.lua against a plain PUBLISH of the same payload, in the same run, with
# three subscribers (two gateways and history). Indicative only: run on a quiet machine.
# usage: publish-cpu.sh [redis port] [calls] [messages per call]   (FLUSHALLs that Redis: use a scratch instance)
set -e
P=${1:-6399}; N=${2:-50000}; K=${3:-1}
S=$(dirname "$0")/../../main/resources/scripts/publish.lua
cli="redis-cli -p $P"
$cli FLUSHALL >/dev/null; $cli SET chat:generation g >/dev/null
SHA=$($cli SCRIPT LOAD "$(cat "$S")")
# Three subscribers, stopped by process on exit (a redis-cli whose connection is killed connects again).
SUBSCRIBERS=()
for i in 1 2 3; do redis-cli -p $P SUBSCRIBE chat:room:bench >/dev/null & SUBSCRIBERS+=($!); done
trap 'kill "${SUBSCRIBERS[@]}" 2>/dev/null' EXIT
until [ "$($cli PUBSUB NUMSUB chat:room:bench | tail -1)" = 3 ]; do sleep 0.1; done
TEXT="hello this is a typical chat message of about sixty characters, more or less ok"
PREFIX='{"type":"message","room":"bench","from":"alice","text":"'"$TEXT"'","cid":"c1234567"'
cpu() { $cli INFO cpu | awk -F: '/used_cpu_(sys|user):/{s+=$2} END{printf "%.6f", s}'; }
# K messages per call, each with its own idempotency key: what a gateway's linger gathers into one call.
KEYS=(); ARGS=()
for ((k = 0; k < K; k++)); do
  KEYS+=('chat:{bench}:seq' 'chat:{bench}:epoch' 'chat:{bench}:log' "chat:{bench}:idem:u:__rand_int__" chat:generation
    'chat:{bench}:stored' chat:events 'chat:online:{u}' 'chat:{bench}:reseed')
  ARGS+=(bench alice "$PREFIX" "c__rand_int__" ep chat:room:bench '' '' '' '')
done
$cli CONFIG RESETSTAT >/dev/null; c0=$(cpu)
redis-benchmark -q -p $P -n $N -c 8 -r 100000000 EVALSHA $SHA $((9 * K)) "${KEYS[@]}" \
  1000 600000 100000 300000 1 100000 64 PUBLISH tag "${ARGS[@]}" >/dev/null
c1=$(cpu)
echo "publish.lua, $K per call: $($cli INFO commandstats | grep cmdstat_evalsha | tr -d '\r'); Redis CPU per message $(echo "($c1-$c0)*1000000/($N*$K)" | bc -l | cut -c1-6) us"
PAYLOAD="$PREFIX"',"seq":12345,"ts":1764500000000}'
$cli CONFIG RESETSTAT >/dev/null; c0=$(cpu)
redis-benchmark -q -p $P -n $N -c 8 PUBLISH chat:room:bench "$PAYLOAD" >/dev/null
c1=$(cpu)
echo "PUBLISH:     Redis CPU per call $(echo "($c1-$c0)*1000000/$N" | bc -l | cut -c1-6) us"
