#!/usr/bin/env bash
# What one presence flush costs Redis in a big room (BENCHMARKS.md, "Presence in big rooms"): presence-update.lua
# against a scratch redis-server on a free port, for rooms of 1,000, 10,000 and 100,000 users spread over 10
# gateways. For each size: a flush of one join or leave (the common case: each gateway calls once a hold), one
# gateway's heartbeat (its tenth of the room refreshed, expired entries swept) and a flush of 9 joins (a full list).
# Each figure is Redis's own time per call (INFO commandstats), the median of the repetitions, with the Lua
# collector's work on the garbage of the calls before it (as in a room where these calls go on).
#
# Usage: load-test/presence-cost.sh [script.lua ...]   (default: the gateway's presence-update.lua; give an older
#        copy too, e.g. gateway-service/src/test/resources/scripts/presence-update-before-index.lua, to compare)
# Environment: SIZES (default "1000 10000 100000"), REPEAT (default 20).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=("$root/gateway-service/src/main/resources/scripts/presence-update.lua")
sizes=${SIZES:-1000 10000 100000}
repeat=${REPEAT:-20}
gateways=10

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize no >/dev/null &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
cli() { redis-cli -p "$port" "$@"; }

# One call: node, now, sweep, then the present users' count, the present users and the absent users.
# Holds are off (first hold 0): every call announces, as a quiet room's flush does.
flush() {
  local sha=$1 node=$2 now=$3 sweep=$4 npresent=$5
  shift 5
  cli EVALSHA "$sha" 4 "chat:{big}:presence" "chat:{big}:presence-hold" "chat:{big}:presence-unannounced" \
    "chat:{big}:presence-nodes" "$node" "$now" $((now + 30000)) 60000 "chat:room:big" big 8 "$sweep" PUBLISH 0 4000 300 1000 \
    "$npresent" "$@" >/dev/null
}

# Redis's time per EVALSHA since the last reset, in µs.
per_call() {
  cli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_evalsha:.*usec_per_call=\([0-9.]*\).*/\1/p'
}

median() { if [ -n "${SHOW_ALL:-}" ]; then tee /dev/stderr; else cat; fi | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '| script | room | one join or leave (µs) | one gateway'"'"'s heartbeat (µs) | 9 joins, a full list (µs) |\n|---|---|---|---|---|\n'
for script in "${scripts[@]}"; do
  sha=$(cli SCRIPT LOAD "$(cat "$script")")
  for size in $sizes; do
    cli FLUSHALL >/dev/null
    now=$(date +%s%3N)
    per=$((size / gateways))
    for g in $(seq 0 $((gateways - 1))); do
      for ((from = 0; from < per; from += 1000)); do
        to=$((from + 1000 < per ? from + 1000 : per))
        # shellcheck disable=SC2046 # the users are separate arguments
        flush "$sha" "gw$g" "$now" 0 $((to - from)) $(seq -f "user-$g-%.0f" "$from" $((to - 1)))
      done
    done
    # Each kind apart: a big call leaves garbage that Lua collects during the calls after it. So the population's
    # garbage is collected first, by unmeasured calls; then each kind's repetitions pay for each other's.
    for i in $(seq 60); do
      flush "$sha" gw0 "$now" 0 1 "warm-$i"
      flush "$sha" gw0 "$now" 0 0 "warm-$i"
    done
    one=() beat=() list=()
    for i in $(seq "$repeat"); do
      cli CONFIG RESETSTAT >/dev/null
      flush "$sha" gw0 "$now" 0 1 "joiner-$i"
      one+=("$(per_call)")
      cli CONFIG RESETSTAT >/dev/null
      flush "$sha" gw0 "$now" 0 0 "joiner-$i"
      one+=("$(per_call)")
    done
    for i in $(seq "$repeat"); do
      cli CONFIG RESETSTAT >/dev/null
      # shellcheck disable=SC2046 # the users are separate arguments
      flush "$sha" gw1 "$now" 1 "$per" $(seq -f "user-1-%.0f" 0 $((per - 1)))
      beat+=("$(per_call)")
    done
    for i in $(seq "$repeat"); do
      cli CONFIG RESETSTAT >/dev/null
      # shellcheck disable=SC2046
      flush "$sha" gw2 "$now" 0 9 $(seq -f "burst-$i-%.0f" 0 8)
      list+=("$(per_call)")
      # shellcheck disable=SC2046
      flush "$sha" gw2 "$now" 0 0 $(seq -f "burst-$i-%.0f" 0 8)
    done
    printf '| %s | %s | %s | %s | %s |\n' "$(basename "$script")" "$size" \
      "$(printf '%s\n' "${one[@]}" | median)" "$(printf '%s\n' "${beat[@]}" | median)" "$(printf '%s\n' "${list[@]}" | median)"
  done
done
