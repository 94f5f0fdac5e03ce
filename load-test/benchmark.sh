#!/usr/bin/env bash
# Side-by-side benchmark on one machine (issue 10): this product (two gateways, the history service,
# one Redis, PostgreSQL) against Socket.IO 4.8 + @socket.io/redis-adapter (two Node instances, one
# Redis), both driven by the same load tool (load-test/target/load-test.jar). Scenarios run
# interleaved (ours, peer, ours, peer, ...), each --runs times; results/<time>/summary.md has the
# median and min-max of every figure and the ratios against the peer. Everything started here is
# stopped on exit; the machine's PostgreSQL is used (database `bench`, recreated) and left running.
#
# Usage: load-test/benchmark.sh [options]
#   --runs N          repetitions of each scenario per system (default 3)
#   --quick           smoke run: 1 run, smaller and shorter scenarios (a few minutes)
#   --scenarios LIST  comma-separated subset of S1..S9, run in the order given (default S4,S1,S2,S3,S5,S6,S7,S8,S9)
#   --systems LIST    ours,peer (default both); add `sharded` for ours on a Redis Cluster of three masters
#                     (same gateways and history, QUARKUS_REDIS_CLIENT_TYPE=cluster): 1 shard against 3
#   --no-build        use the jars as they are (default: ./mvnw -B -q package -DskipTests -Dnative-sources.skip=true)
#   --out DIR         results directory (default load-test/results/<date-time>)
# Environment: JAVA_OPTS (gateway and history JVM options, after deploy/'s: both get its JIT options, history its G1), GATEWAY_JAVA_OPTS (the gateways' GC and JIT options,
#   default those of deploy/: serial GC with tight heap free ratios, shallow inlining; on JDK 25 or newer, as in deploy/'s
#   images, both services also get -XX:+UseCompactObjectHeaders: run with that `java` first on PATH), LOAD_JAVA_OPTS (load tool, default -Xmx2g),
#   AOT_CACHE (off: start the services without the AOT cache that a build on JDK 25+ leaves beside their jars),
#   CHAT_READY_TIMEOUT (seconds, default 180), PRESENCE (events, diff or none: the presence frames our clients join for,
#   default events, the protocol's default), GATEWAY_JAR and HISTORY_JAR (other builds to measure, for an old/new
#   comparison; default the ones built here); the sizes below (S1_CLIENTS, S3_DURATION, ROOM_DURATION,
#   LADDER_DURATION, LADDER_RATES, S8_DURATION, S9_CLIENTS, S9_RATE, S9_CHURN, WARMUP, ...) override the defaults of the mode;
#   S4_PASSES (default 2): how many times S4 connects its clients to the same processes; S4_HOLD (default 10s): how long
#   each pass holds them (longer: what idle connections cost Redis and the servers over time, heartbeats included).
#
# Scenarios: S1 connect storm (10,000 clients, 100 rooms of 100); S2 1,010 clients join one room;
# S3 2,000 clients in 200 rooms of 10 at 2,000 msg/s; S4 10,000 idle connections (RSS and heap per
# connection); S5 one room of 1,010 at 30 msg/s; S6 the same at 60 msg/s; S7 rate ladder on that room
# (20..120 msg/s until p99 > 100 ms or a loss); S8 one gateway on 1 core vs 2 cores (taskset); S9 hold and
# churn: 4,000 clients in rooms of 10 at 400 msg/s while 150 more a second connect, join one of their rooms,
# stay 5 s and leave (the held clients' latency shows what the churn costs them: collections, upgrades).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=deploy/local/backing-services.sh
. deploy/local/backing-services.sh

runs=3
quick=
build=yes
# S4 first: it restarts the servers (fresh baseline), so every later scenario of a round meets warm processes
# and every S1 meets freshly started ones, as after a real restart.
scenarios=S4,S1,S2,S3,S5,S6,S7,S8,S9
systems=ours,peer
out=
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift ;;
    --quick) quick=1 ;;
    --scenarios) scenarios=$2; shift ;;
    --systems) systems=$2; shift ;;
    --no-build) build=no ;;
    --out) out=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
  shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
[ -n "$quick" ] && runs=1
out=${out:-$root/load-test/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
has() { [[ ,$1, == *,$2,* ]]; }

# --- Sizes (full, or --quick) --------------------------------------------------------------------
# Each size may be overridden from the environment (e.g. S3_DURATION=20s for a shorter full-size run).
if [ -n "$quick" ]; then
  : "${S1_CLIENTS:=2000}" "${S1_ROOMS:=20}" "${S4_CLIENTS:=2000}" "${S9_CLIENTS:=1000}" "${S9_RATE:=100}" "${S9_CHURN:=50}"
  : "${S3_DURATION:=10s}" "${ROOM_DURATION:=10s}" "${LADDER_DURATION:=6s}" "${LADDER_RATES:=20 60 120}" "${S8_DURATION:=8s}" "${WARMUP:=2s}"
else
  : "${S1_CLIENTS:=10000}" "${S1_ROOMS:=100}" "${S4_CLIENTS:=10000}" "${S9_CLIENTS:=4000}" "${S9_RATE:=400}" "${S9_CHURN:=150}"
  : "${S3_DURATION:=60s}" "${ROOM_DURATION:=60s}" "${LADDER_DURATION:=30s}" "${LADDER_RATES:=20 30 40 60 80 120}" "${S8_DURATION:=30s}" "${WARMUP:=5s}"
fi
: "${S4_PASSES:=2}"
[[ $S4_PASSES =~ ^[1-9][0-9]*$ ]] || die "S4_PASSES wants a positive number"
: "${S4_HOLD:=10s}"

# --- Tools ---------------------------------------------------------------------------------------
ensure_packages redis-server:redis-server redis-tools:redis-cli postgresql:'/usr/lib/postgresql/*/bin/postgres' \
  postgresql-client:psql curl:curl openssl:openssl nodejs:node npm:npm util-linux:taskset
command -v java >/dev/null 2>&1 || die "no java on PATH (JDK 17 or newer)"
command -v jcmd >/dev/null 2>&1 || say "warning: no jcmd: S4 reports RSS only, no heap after full GC"

# Tens of thousands of sockets: every process started below inherits this.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge 12000 ] || say "warning: ulimit -n is $(ulimit -n): the load tool holds one descriptor per client (10,000 in S1 and S4)"

# --- Processes started here, stopped on exit ------------------------------------------------------
declare -A pid=()
started=()
alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
stopping=
cleanup() {
  local status=$? name waited
  [ -n "$stopping" ] && return
  stopping=1
  set +e
  trap '' INT TERM HUP PIPE
  for name in "${started[@]}"; do kill -TERM "${pid[$name]}" 2>/dev/null; done
  for name in "${started[@]}"; do
    waited=0
    while alive "${pid[$name]}" && [ $waited -lt 40 ]; do sleep 0.5; waited=$((waited + 1)); done
    alive "${pid[$name]}" && kill -KILL "${pid[$name]}" 2>/dev/null
  done
  wait 2>/dev/null
  [ ${#started[@]} -gt 0 ] && say "stopped: ${started[*]}"
  return $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# start NAME COMMAND...: runs COMMAND in its own session, output to logs/NAME.log.
start() {
  local name=$1
  shift
  setsid "$@" >>"$out/logs/$name.log" 2>&1 </dev/null &
  pid[$name]=$!
  started+=("$name")
}

stop() {
  local name=$1 waited=0
  kill -TERM "${pid[$name]}" 2>/dev/null || true
  while alive "${pid[$name]}" && [ $waited -lt 40 ]; do sleep 0.5; waited=$((waited + 1)); done
  alive "${pid[$name]}" && kill -KILL "${pid[$name]}" 2>/dev/null || true
}

wait_http() { # NAME URL: until URL answers 200, or the process dies, or the timeout
  local name=$1 url=$2 deadline=$((SECONDS + ${CHAT_READY_TIMEOUT:-180}))
  until [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null)" = 200 ]; do
    alive "${pid[$name]}" || { tail -n 20 "$out/logs/$name.log" >&2; die "$name exited; see $out/logs/$name.log"; }
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$out/logs/$name.log" >&2; die "$name not ready at $url"; }
    sleep 1
  done
}

# --- Build ----------------------------------------------------------------------------------------
if [ $build = yes ]; then
  say "Building (./mvnw -B -q package -DskipTests -Dnative-sources.skip=true; --no-build skips) ..."
  ./mvnw -B -q package -DskipTests -Dnative-sources.skip=true || die "the build failed"
fi
gateway_jar=${GATEWAY_JAR:-gateway-service/target/quarkus-app/quarkus-run.jar}
history_jar=${HISTORY_JAR:-history-service/target/quarkus-app/quarkus-run.jar}
tool_jar=load-test/target/load-test.jar
for j in $gateway_jar $history_jar $tool_jar; do [ -f "$j" ] || die "$j is missing: build first (or drop --no-build)"; done
if has "$systems" peer; then
  peer_dir=load-test/peers/socketio
  if [ ! -d $peer_dir/node_modules ] || [ $peer_dir/package-lock.json -nt $peer_dir/node_modules ]; then
    say "Installing the Socket.IO peer (npm ci) ..."
    (cd $peer_dir && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $peer_dir"
  fi
fi

# --- Backing services -----------------------------------------------------------------------------
export CHAT_JWT_SECRET=${CHAT_JWT_SECRET:-$(openssl rand -hex 32)}
redis_ours_port=$(free_port)
redis_peer_port=$(free_port)
start redis-ours redis-server --bind 127.0.0.1 --port "$redis_ours_port" --save "" --appendonly no
start redis-peer redis-server --bind 127.0.0.1 --port "$redis_peer_port" --save "" --appendonly no
for p in $redis_ours_port $redis_peer_port; do
  wait_for 10 "redis-server on $p does not answer" sh -c "[ \"\$(redis-cli -p $p ping 2>/dev/null)\" = PONG ]"
done

if has "$systems" sharded; then
  # Three masters, no replicas (the single Redis has none either), under one parent so the tool sums their CPU.
  cluster_ports=()
  while [ ${#cluster_ports[@]} -lt 3 ]; do
    p=$(free_port)
    [[ " ${cluster_ports[*]} " == *" $p "* ]] || cluster_ports+=("$p")
  done
  mkdir -p "$out/redis-cluster"
  start redis-cluster sh -c "cd '$out/redis-cluster' && for p in ${cluster_ports[*]}; do redis-server --bind 127.0.0.1 --port \$p \
    --save '' --appendonly no --cluster-enabled yes --cluster-config-file nodes-\$p.conf & done; wait"
  for p in "${cluster_ports[@]}"; do
    wait_for 10 "redis-server on $p does not answer" sh -c "[ \"\$(redis-cli -p $p ping 2>/dev/null)\" = PONG ]"
  done
  # shellcheck disable=SC2046
  redis-cli --cluster create $(printf '127.0.0.1:%s ' "${cluster_ports[@]}") --cluster-yes >"$out/logs/redis-cluster-create.log" 2>&1 \
    || die "redis-cli --cluster create failed; see $out/logs/redis-cluster-create.log"
  wait_for 30 "the Redis Cluster is not ok" sh -c "redis-cli -p ${cluster_ports[0]} cluster info | grep -q cluster_state:ok"
  cluster_hosts=$(printf 'redis://127.0.0.1:%s,' "${cluster_ports[@]}")
  cluster_hosts=${cluster_hosts%,}
fi

if has "$systems" ours || has "$systems" sharded; then
  ensure_postgres
  pg_admin -c 'DROP DATABASE IF EXISTS bench WITH (FORCE)' >/dev/null
  ensure_database bench "$root/run/postgres.env"
  if has "$systems" sharded; then
    pg_admin -c 'DROP DATABASE IF EXISTS bench_sharded WITH (FORCE)' >/dev/null
    ensure_database bench_sharded "$root/run/postgres.env"
  fi
  # The postmaster: its descendants whose command line names database `bench` are our backends.
  pg_pid=
  for p in $(pgrep -x postgres || true); do
    [ "$(ps -o comm= -p "$(ps -o ppid= -p "$p" | tr -d ' ')" 2>/dev/null)" = postgres ] || { pg_pid=$p; break; }
  done
  [ -n "$pg_pid" ] || say "warning: PostgreSQL's postmaster not found: no PostgreSQL CPU figures"
fi

# --- The systems ----------------------------------------------------------------------------------
declare -A port=() mport=()
# What deploy/ runs with on a JVM that has it (compact object headers from JDK 25); nothing on JDK 17.
footprint=$(jvm_footprint_options)
# Health and metrics are on each service's management port (QUARKUS_MANAGEMENT_PORT).
ready_url() { echo "http://127.0.0.1:${mport[$1]}/q/health/ready"; }
start_gateway() { # NAME [ENV-ARRAY]: on its ports (chosen on first start, kept on restarts)
  local name=$1
  local -n gateway_env=${2:-ours_env}
  port[$name]=${port[$name]:-$(free_port)}
  mport[$name]=${mport[$name]:-$(free_port)}
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  start "$name" env "${gateway_env[@]}" QUARKUS_HTTP_PORT="${port[$name]}" QUARKUS_MANAGEMENT_PORT="${mport[$name]}" \
    CHAT_NODE_ID="$name" java ${GATEWAY_JAVA_OPTS:-$(gateway_jvm_options)} $footprint $(jvm_aot_cache_options "$gateway_jar") ${JAVA_OPTS:-} -jar "$gateway_jar"
}
start_ours() {
  local name
  ours_env=(QUARKUS_PROFILE=dev QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_HOST=127.0.0.1 "QUARKUS_REDIS_HOSTS=redis://127.0.0.1:$redis_ours_port"
    CHAT_JWT_SECRET="$CHAT_JWT_SECRET" QUARKUS_LOG_LEVEL=WARN)
  start_gateway gateway-a
  start_gateway gateway-b
  port[history]=$(free_port)
  mport[history]=$(free_port)
  # shellcheck disable=SC2086
  start history env "${ours_env[@]}" QUARKUS_HTTP_PORT="${port[history]}" QUARKUS_MANAGEMENT_PORT="${mport[history]}" \
    QUARKUS_DATASOURCE_REACTIVE_URL="vertx-reactive:postgresql://127.0.0.1:$PG_PORT/bench" \
    QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/bench" \
    QUARKUS_DATASOURCE_USERNAME="$DB_USER" QUARKUS_DATASOURCE_PASSWORD="$DB_PASSWORD" java $(history_jvm_options) $footprint $(jvm_aot_cache_options "$history_jar") ${JAVA_OPTS:-} -jar "$history_jar"
  for name in gateway-a gateway-b history; do wait_http $name "$(ready_url $name)"; done
  say "ours: gateway-a :${port[gateway-a]} (pid ${pid[gateway-a]}), gateway-b :${port[gateway-b]} (pid ${pid[gateway-b]}), history :${port[history]}, redis :$redis_ours_port"
}
start_sharded() {
  local name
  sharded_env=(QUARKUS_PROFILE=dev QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_REDIS_CLIENT_TYPE=cluster "QUARKUS_REDIS_HOSTS=$cluster_hosts"
    CHAT_JWT_SECRET="$CHAT_JWT_SECRET" QUARKUS_LOG_LEVEL=WARN)
  start_gateway gateway-sa sharded_env
  start_gateway gateway-sb sharded_env
  port[history-s]=$(free_port)
  mport[history-s]=$(free_port)
  # shellcheck disable=SC2086
  start history-s env "${sharded_env[@]}" QUARKUS_HTTP_PORT="${port[history-s]}" QUARKUS_MANAGEMENT_PORT="${mport[history-s]}" \
    QUARKUS_DATASOURCE_REACTIVE_URL="vertx-reactive:postgresql://127.0.0.1:$PG_PORT/bench_sharded" \
    QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/bench_sharded" \
    QUARKUS_DATASOURCE_USERNAME="$DB_USER" QUARKUS_DATASOURCE_PASSWORD="$DB_PASSWORD" java $(history_jvm_options) $footprint $(jvm_aot_cache_options "$history_jar") ${JAVA_OPTS:-} -jar "$history_jar"
  for name in gateway-sa gateway-sb history-s; do wait_http $name "$(ready_url $name)"; done
  # Rooms start only once history has set every slot's generation marker.
  wait_http history-s "http://127.0.0.1:${mport[history-s]}/q/health/group/ingest"
  say "sharded: gateway-sa :${port[gateway-sa]}, gateway-sb :${port[gateway-sb]}, history-s :${port[history-s]}, redis cluster :${cluster_ports[*]}"
}
start_peer_instance() { # NAME
  local name=$1
  port[$name]=${port[$name]:-$(free_port)}
  start "$name" env PORT="${port[$name]}" NODE_ID="$name" REDIS_URL="redis://127.0.0.1:$redis_peer_port" \
    CHAT_JWT_SECRET="$CHAT_JWT_SECRET" node load-test/peers/socketio/server.js
}
start_peer() {
  local name
  start_peer_instance peer-a
  start_peer_instance peer-b
  for name in peer-a peer-b; do wait_http $name "http://127.0.0.1:${port[$name]}/health"; done
  say "peer: peer-a :${port[peer-a]} (pid ${pid[peer-a]}), peer-b :${port[peer-b]} (pid ${pid[peer-b]}), redis :$redis_peer_port"
}
# Fresh server processes for the idle-memory scenario: a baseline taken after earlier load would hold
# memory the process has not given back yet (Node's RSS even shrinks while it is measured).
restart_servers() { # SYSTEM
  local name
  if [ "$1" = ours ]; then
    for name in gateway-a gateway-b; do stop $name; start_gateway $name; done
    for name in gateway-a gateway-b; do wait_http $name "$(ready_url $name)"; done
  elif [ "$1" = sharded ]; then
    for name in gateway-sa gateway-sb; do stop $name; start_gateway $name sharded_env; done
    for name in gateway-sa gateway-sb; do wait_http $name "$(ready_url $name)"; done
  else
    for name in peer-a peer-b; do stop $name; start_peer_instance $name; done
    for name in peer-a peer-b; do wait_http $name "http://127.0.0.1:${port[$name]}/health"; done
  fi
  sleep 5 # let start-up work settle before the baseline is read
}
has "$systems" ours && start_ours
has "$systems" sharded && start_sharded
has "$systems" peer && start_peer

# --- Running the tool -----------------------------------------------------------------------------
# tool SYSTEM NAME ARGS...: one load-tool run against SYSTEM, report in $out/NAME.{json,html}, console in logs.
tool() {
  local system=$1 name=$2
  shift 2
  local args=(--jwt-secret "$CHAT_JWT_SECRET" --label "$name" --out "$out/$name")
  if [ "$system" = ours ]; then
    args+=(--protocol chat --presence "${PRESENCE:-events}" --pid "server-a=${pid[gateway-a]}" --pid "server-b=${pid[gateway-b]}"
      --pid "redis=${pid[redis-ours]}" --pid "history=${pid[history]}")
    [ -n "${pg_pid:-}" ] && args+=(--pid "postgres=$pg_pid+ bench ")
  elif [ "$system" = sharded ]; then
    args+=(--protocol chat --presence "${PRESENCE:-events}" --pid "server-a=${pid[gateway-sa]}" --pid "server-b=${pid[gateway-sb]}"
      --pid "redis=${pid[redis-cluster]}+redis-server" --pid "history=${pid[history-s]}")
    [ -n "${pg_pid:-}" ] && args+=(--pid "postgres=$pg_pid+ bench_sharded ")
  else
    args+=(--protocol socketio --pid "server-a=${pid[peer-a]}" --pid "server-b=${pid[peer-b]}" --pid "redis=${pid[redis-peer]}")
  fi
  say "--- $name: $*"
  # shellcheck disable=SC2086
  java ${LOAD_JAVA_OPTS:--Xmx2g} -jar "$tool_jar" "${args[@]}" "$@" >"$out/logs/$name.txt" 2>&1 \
    || say "    (load tool exit status $?: see logs/$name.txt)"
  grep -E '^(connect:|sent |limited by|integrity|!!!|idle:|churn:)' "$out/logs/$name.txt" | sed 's/^/    /' || true
}
targets() { # SYSTEM [one]: the tool's --target value for SYSTEM (both instances, or only the first)
  if [ "$1" = ours ]; then
    [ "${2:-}" = one ] && echo "ws://127.0.0.1:${port[gateway-a]}" \
      || echo "ws://127.0.0.1:${port[gateway-a]},ws://127.0.0.1:${port[gateway-b]}"
  elif [ "$1" = sharded ]; then
    [ "${2:-}" = one ] && echo "ws://127.0.0.1:${port[gateway-sa]}" \
      || echo "ws://127.0.0.1:${port[gateway-sa]},ws://127.0.0.1:${port[gateway-sb]}"
  else
    [ "${2:-}" = one ] && echo "ws://127.0.0.1:${port[peer-a]}" \
      || echo "ws://127.0.0.1:${port[peer-a]},ws://127.0.0.1:${port[peer-b]}"
  fi
}
history_args() {
  case $1 in
    ours) echo "--history http://127.0.0.1:${port[history]}" ;;
    sharded) echo "--history http://127.0.0.1:${port[history-s]}" ;;
  esac
}

scenario() { # SCENARIO SYSTEM RUN
  local s=$1 sys=$2 r=$3 t
  t=$(targets "$sys")
  case $s in
    S1) tool "$sys" "S1-$sys-run$r" --target "$t" --clients $S1_CLIENTS --rooms $S1_ROOMS --rate 0 --connect-concurrency 1000 ;;
    S2) tool "$sys" "S2-$sys-run$r" --target "$t" --clients 1010 --rooms 1 --rate 0 --connect-concurrency 1000 ;;
    # shellcheck disable=SC2046
    S3) tool "$sys" "S3-$sys-run$r" --target "$t" --clients 2000 --rooms 200 --publishers 400 --rate 2000 \
          --duration $S3_DURATION --warmup $WARMUP $(history_args "$sys") ;;
    S4) local gc=()
        restart_servers "$sys"
        [ "$sys" != peer ] && command -v jcmd >/dev/null 2>&1 && gc=(--gc-heap)
        tool "$sys" "S4-$sys-run$r" --mode idle --target "$t" --clients $S4_CLIENTS --rooms 0 --connect-concurrency 1000 \
          --hold "$S4_HOLD" "${gc[@]}"
        # Pass 2 (and up to S4_PASSES) on the same processes: heap, JIT code and buffers grown by the passes before are
        # the baseline, so the figure is what one more connection costs a warm server (pass 1: what a fresh server
        # grows by); later passes show how much of a storm's CPU is the JIT's warm-up.
        local pass
        for pass in $(seq 2 "$S4_PASSES"); do
          tool "$sys" "S4-$sys-run$r-pass$pass" --mode idle --target "$t" --clients $S4_CLIENTS --rooms 0 --connect-concurrency 1000 \
            --hold "$S4_HOLD" "${gc[@]}"
        done ;;
    S5) tool "$sys" "S5-$sys-run$r" --target "$t" --clients 1010 --rooms 1 --publishers 30 --rate 30 --duration $ROOM_DURATION --warmup $WARMUP ;;
    S6) tool "$sys" "S6-$sys-run$r" --target "$t" --clients 1010 --rooms 1 --publishers 30 --rate 60 --duration $ROOM_DURATION --warmup $WARMUP ;;
    S7) local rate
        for rate in $LADDER_RATES; do
          # shellcheck disable=SC2046
          tool "$sys" "S7-$sys-run$r-rate$rate" --target "$t" --clients 1010 --rooms 1 --publishers 30 --rate "$rate" \
            --duration $LADDER_DURATION --warmup $WARMUP $(history_args "$sys")
          ladder_passed "$out/S7-$sys-run$r-rate$rate.json" || { say "    ladder stops at $rate msg/s"; break; }
        done ;;
    S8) if [ "$sys" = sharded ]; then
          say "    S8 (cores) runs for ours and the peer only"
        elif [ "$sys" = ours ]; then
          local cores
          for cores in 1 2; do
            taskset -a -p -c "$([ $cores = 1 ] && echo 0 || echo 0-1)" "${pid[gateway-a]}" >/dev/null
            tool ours "S8-ours-run$r-cores$cores" --target "$(targets ours one)" --clients 1010 --rooms 1 --publishers 30 \
              --rate 150 --duration $S8_DURATION --warmup $WARMUP --drain-max 20s
          done
          taskset -a -p -c 0-"$(($(nproc) - 1))" "${pid[gateway-a]}" >/dev/null
        else
          # Node fans out on one thread: pinned to one core, like ours in its first step.
          taskset -a -p -c 0 "${pid[peer-a]}" >/dev/null
          tool peer "S8-peer-run$r-cores1" --target "$(targets peer one)" --clients 1010 --rooms 1 --publishers 30 \
            --rate 150 --duration $S8_DURATION --warmup $WARMUP --drain-max 20s
          taskset -a -p -c 0-"$(($(nproc) - 1))" "${pid[peer-a]}" >/dev/null
        fi ;;
    S9) tool "$sys" "S9-$sys-run$r" --target "$t" --clients "$S9_CLIENTS" --rooms $((S9_CLIENTS / 10)) \
          --publishers $((S9_CLIENTS / 10)) --rate "$S9_RATE" --churn-rate "$S9_CHURN" --churn-hold 5s \
          --duration $ROOM_DURATION --warmup $WARMUP ;;
  esac
}
# A rung passes when p99 <= 100 ms and nothing was lost, duplicated or reordered.
ladder_passed() {
  java -cp "$tool_jar" dev.chat.load.report.Summary --check-rung "$1"
}

say "Results in ${out#"$root"/}"
for r in $(seq 1 "$runs"); do
  for s in ${scenarios//,/ }; do
    for sys in ${systems//,/ }; do
      scenario "$s" "$sys" "$r"
    done
  done
done

java -cp "$tool_jar" dev.chat.load.report.Summary "$out" >"$out/summary.md"
say ""
say "Summary: ${out#"$root"/}/summary.md"
cat "$out/summary.md"
