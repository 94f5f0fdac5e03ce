#!/usr/bin/env bash
# Checks the gateway's connection cap with traffic, as deploy/kubernetes/gateway.yaml runs it: one gateway from the
# packaged jar with the command line its image builds from the manifest (collector, JAVA_OPTS_APPEND), sized by the
# container's limits (-XX:MaxRAM from the memory limit, -XX:ActiveProcessorCount from the CPU limit), on a scratch
# Redis; then the load tool connects CLIENTS clients in rooms of 10 (a reconnect storm at the cap) and sends RATE
# messages a second among them for DURATION.
# Then the same clients connect again, stay idle, and a full collection runs (jcmd GC.run, as the old generation
# filling up under churn would bring one): how long the serial collector stops the whole pod at the cap.
# Reported: the gateway's peak RSS (VmHWM) against the memory limit, the heap after each young collection in the
# traffic's last seconds, the longest young pause, the full collection's pause with every client connected, and
# the tool's latency and integrity lines (lost, duplicated, out of order).
#
# Usage: deploy/footprint/cap-check.sh [CLIENTS [RATE [DURATION]]]
#   CLIENTS  default: the manifest's CHAT_LIMITS_MAX_CONNECTIONS; RATE default 1000; DURATION default 60s
#   CAP=N in the environment: the gateway's cap instead of the manifest's (to try one before writing it there);
#   COLLECTOR=G1: -XX:+UseG1GC (GC_TIME_RATIO=12) in place of the manifest's collector (the README's swap);
#   CHURN=R: during the traffic R more clients a second connect, join, stay 6 s and leave (about 6 x R more at a
#   time: keep CLIENTS + 6 x R under the cap), which is what fills the old generation and brings full collections
# Needs: the packaged gateway and load tool (./mvnw -B package -DskipTests), redis-server, and a `java` on PATH
# (the image's runtime is Java 25: run with it first on PATH for the figures the README quotes). Takes about
# three minutes; everything it starts is stopped on exit. The machine's own load moves the figures: RSS less than
# latency.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=deploy/local/backing-services.sh
. "$root/deploy/local/backing-services.sh"
manifest="$root/deploy/kubernetes/gateway.yaml"
gateway_jar="$root/gateway-service/target/quarkus-app/quarkus-run.jar"
tool_jar="$root/load-test/target/load-test.jar"
for f in "$gateway_jar" "$tool_jar"; do
  [ -f "$f" ] || die "$f is missing: ./mvnw -B package -DskipTests first"
done
command -v redis-server >/dev/null || die "redis-server is not installed (deploy/local/run.sh installs it)"

# The manifest's figures: the cap, the JVM options and the container's limits.
env_value() { grep -A1 "name: $1\$" "$manifest" | sed -n 's/^ *value: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' | head -1; }
cap=${CAP:-$(env_value CHAT_LIMITS_MAX_CONNECTIONS)}
collector=$(env_value GC_CONTAINER_OPTIONS)
[ -n "${COLLECTOR:-}" ] && collector=-XX:+Use${COLLECTOR}GC
# G1 as the README's swap runs it: with its own GC time ratio, not the entrypoint's 4.
if [ "${COLLECTOR:-}" = G1 ]; then export GC_TIME_RATIO=12; fi
# What the image's entrypoint builds from the pod's settings; -Dquarkus.http.host=0.0.0.0 is the pod's, here the
# gateway listens on loopback only.
append=$(env_value JAVA_OPTS_APPEND)
java_opts=$(GC_CONTAINER_OPTIONS=$collector JAVA_OPTS_APPEND=$append entrypoint_jvm_options \
  | sed 's/-Dquarkus\.http\.host=[^ ]*//')
if [ -z "$(jvm_footprint_options)" ]; then
  # The image runs Java 25; an older `java` lacks compact object headers, and its figures read about 1 KB a connection higher.
  java_opts=${java_opts//-XX:+UseCompactObjectHeaders/}
  say "warning: $(java -version 2>&1 | head -1) has no compact object headers: run with Java 25 first on PATH for the pod's figures"
fi
limits=$(sed -n '/^ *limits:/,/^ *[a-z]*Probe:/p' "$manifest")
memory_mi=$(sed -n 's/^ *memory: *\([0-9]*\)Mi$/\1/p' <<<"$limits" | head -1)
cpus=$(sed -n 's/^ *cpu: *"\{0,1\}\([0-9]*\)"\{0,1\}$/\1/p' <<<"$limits" | head -1)
[ -n "$cap" ] && [ -n "$collector" ] && [ -n "$append" ] && [ -n "$memory_mi" ] && [ -n "$cpus" ] || die "could not read the cap, GC_CONTAINER_OPTIONS, JAVA_OPTS_APPEND or the limits in $manifest"

clients=${1:-$cap}
rate=${2:-1000}
duration=${3:-60s}
[[ $clients =~ ^[1-9][0-9]*$ && $rate =~ ^[0-9]+$ ]] || { echo "usage: $0 [CLIENTS [RATE [DURATION]]]" >&2; exit 1; }
[ "$(ulimit -n)" -gt $((clients + 1000)) ] || ulimit -n $((clients + 2000)) 2>/dev/null \
  || die "ulimit -n is $(ulimit -n): the tool needs a descriptor per client"

work=$(mktemp -d /tmp/cap-check.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --logfile "$work/redis.log" &
pids+=($!)
wait_for 10 "redis-server on $redis_port does not answer" sh -c "[ \"\$(redis-cli -p $redis_port ping 2>/dev/null)\" = PONG ]"
# What a history service sets once on a fresh Redis (rooms start only under a generation marker).
redis-cli -p "$redis_port" SET chat:generation cap-check NX >/dev/null

port=$(free_port)
management_port=$(free_port)
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
# shellcheck disable=SC2086 # java_opts is a list of options
env QUARKUS_PROFILE=dev QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$port" QUARKUS_MANAGEMENT_PORT="$management_port" \
  QUARKUS_REDIS_HOSTS="redis://127.0.0.1:$redis_port" CHAT_JWT_SECRET="$secret" CHAT_NODE_ID=cap-check QUARKUS_LOG_LEVEL=WARN \
  CHAT_LIMITS_MAX_CONNECTIONS="$cap" \
  java $java_opts -XX:MaxRAM="${memory_mi}m" -XX:ActiveProcessorCount="$cpus" -Xlog:gc:file="$work/gc.log" \
  -jar "$gateway_jar" >"$work/gateway.log" 2>&1 &
gateway=$!
pids+=("$gateway")
gateway_ready() {
  kill -0 "$gateway" 2>/dev/null || { cat "$work/gateway.log" >&2; die "the gateway stopped during its start"; }
  curl -fs "http://127.0.0.1:$management_port/q/health/ready" >/dev/null 2>&1
}
wait_for 60 "the gateway was not ready within 60 s: $work/gateway.log" gateway_ready

echo "gateway: cap $cap, limits ${memory_mi}Mi and $cpus CPUs, options: $java_opts"
echo "clients: $clients in rooms of 10, $rate msg/s for $duration"
rss_mib() { awk '/^'"$1"':/ {printf "%.0f", $2 / 1024}' "/proc/$gateway/status"; }
echo "idle gateway: RSS $(rss_mib VmRSS) MiB"
rooms=$(( (clients + 9) / 10 ))
java -Xmx2g -jar "$tool_jar" --protocol chat --jwt-secret "$secret" --target "ws://127.0.0.1:$port" \
  --clients "$clients" --rooms "$rooms" --publishers "$rooms" --rate "$rate" --duration "$duration" --warmup 5s \
  --connect-concurrency 1000 --churn-rate "${CHURN:-0}" --churn-hold 6s --pid "gateway=$gateway" --out "$work/report" \
  >"$work/tool.log" 2>&1 || true
grep -E '^(connect:|sent |integrity|!!!|latency|churn:)' "$work/tool.log" || tail -20 "$work/tool.log"
fulls=$( (grep 'Pause Full' "$work/gc.log" || true) | (grep -v 'Metadata GC Threshold' || true) | sed -n 's/.*) \([0-9.]*\)ms$/\1/p')
echo "gateway: full collections during the storm and the traffic: $(grep -c . <<<"$fulls" || true)$([ -n "$fulls" ] && echo ", longest $(sort -n <<<"$fulls" | tail -1) ms")"

young=$(grep 'Pause Young' "$work/gc.log" | tail -3 | sed -n 's/.*->\([0-9]*M\)(.*/\1/p' | paste -sd' ')
longest=$(grep 'Pause Young' "$work/gc.log" | sed -n 's/.* \([0-9.]*\)ms$/\1/p' | sort -n | tail -1)
echo "gateway: peak RSS $(rss_mib VmHWM) MiB of ${memory_mi}Mi; heap after the last young collections $young; longest young pause ${longest:-?} ms"

# The traffic's clients closed when the tool exited: wait until the gateway has let every one go.
for _ in $(seq 120); do
  curl -fs "http://127.0.0.1:$management_port/q/metrics" | grep -Eq '^chat_gateway_connections(\{[^}]*\})? 0(\.0)?$' && break
  sleep 0.5
done
java -Xmx2g -jar "$tool_jar" --protocol chat --jwt-secret "$secret" --target "ws://127.0.0.1:$port" --mode idle \
  --clients "$clients" --rooms "$rooms" --connect-concurrency 1000 --hold 5s --gc-heap --pid "gateway=$gateway" \
  --out "$work/idle" >"$work/idle.log" 2>&1 || true
grep -E '^connect:' "$work/idle.log" || tail -20 "$work/idle.log"
# The tool's full collections (jcmd GC.run, then its class histogram's): the last two are those with every client connected.
full=$( (grep -E 'Pause Full \((Diagnostic Command|Heap Inspection)' "$work/gc.log" || true) | tail -2 | sed -n 's/.*) \(.*\)$/\1/p' | paste -sd' ')
echo "gateway: full collections with $clients clients connected: ${full:-none found in $work/gc.log}; peak RSS $(rss_mib VmHWM) MiB"
echo "logs: $work"
