#!/usr/bin/env bash
# Runs the whole chat system on this machine, in the foreground: two gateways and the history
# service (dev profile) behind nginx on http://localhost:8000, on the machine's Redis and
# PostgreSQL, which it installs (apt-get) and starts when they are missing. Ctrl-C stops
# everything it started; Redis and PostgreSQL keep running.
#
# Usage: deploy/local/run.sh [--no-build]
#   --no-build   use the jars in */target/quarkus-app as they are (default: build them with
#                ./mvnw when missing or older than their sources)
# Environment: CHAT_JWT_SECRET (default: random per run), JAVA_OPTS (extra JVM options; no collector: each service names its own),
#   GATEWAY_JAVA_OPTS (gateways' GC and JIT options; default serial GC, the least memory per connection, and shallow inlining),
#              AOT_CACHE (off: ignore the AOT cache that a build on JDK 25+ leaves beside each jar),
#              CHAT_READY_TIMEOUT (seconds to wait for readiness, default 180).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=deploy/local/backing-services.sh
. deploy/local/backing-services.sh

build=auto
for arg in "$@"; do
  case $arg in
    --no-build) build=no ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown option $arg (try --help)" ;;
  esac
done

NGINX_PORT=8000
GATEWAY_A_PORT=8080
HISTORY_PORT=8081
GATEWAY_B_PORT=8082
# Management interfaces (health, metrics, OpenAPI): one port per process, never behind nginx.
GATEWAY_A_MANAGEMENT_PORT=9000
HISTORY_MANAGEMENT_PORT=9001
GATEWAY_B_MANAGEMENT_PORT=9002
RUN=$root/run
LOGS=$RUN/logs
PIDS=$RUN/pids
ready_timeout=${CHAT_READY_TIMEOUT:-180}

names=(gateway-a gateway-b history)
declare -A port=([gateway-a]=$GATEWAY_A_PORT [gateway-b]=$GATEWAY_B_PORT [history]=$HISTORY_PORT [nginx]=$NGINX_PORT)
declare -A management=([gateway-a]=$GATEWAY_A_MANAGEMENT_PORT [gateway-b]=$GATEWAY_B_MANAGEMENT_PORT [history]=$HISTORY_MANAGEMENT_PORT)
declare -A jar=(
  [gateway-a]=gateway-service/target/quarkus-app/quarkus-run.jar
  [gateway-b]=gateway-service/target/quarkus-app/quarkus-run.jar
  [history]=history-service/target/quarkus-app/quarkus-run.jar
)
declare -A log=([gateway-a]=$LOGS/gateway-a.log [gateway-b]=$LOGS/gateway-b.log [history]=$LOGS/history.log
  [nginx]=$LOGS/nginx-error.log)
declare -A pid=()
started=()

mkdir -p "$LOGS" "$PIDS"

# --- One run at a time ----------------------------------------------------------------------

alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

if [ -f "$PIDS/run.pid" ] && alive "$(cat "$PIDS/run.pid")" \
    && tr '\0' ' ' <"/proc/$(cat "$PIDS/run.pid")/cmdline" 2>/dev/null | grep -q 'deploy/local/run.sh'; then
  die "deploy/local/run.sh is already running (pid $(cat "$PIDS/run.pid")); stop it with Ctrl-C in its terminal"
fi
# Processes left by a run that was killed outright (kill -9, closed terminal): ours if their
# command line still names this checkout.
for f in "$PIDS"/*.pid; do
  [ -e "$f" ] || continue
  p=$(cat "$f")
  if [ "$f" != "$PIDS/run.pid" ] && alive "$p" && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$root/"; then
    say "Stopping $(basename "$f" .pid) (pid $p), left over from an earlier run"
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 40); do alive "$p" || break; sleep 0.5; done
    if alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
  fi
  rm -f "$f"
done
echo $$ >"$PIDS/run.pid"

# --- Stop what this run started, on Ctrl-C, on kill and on any error -------------------------

stopping=
cleanup() {
  local status=$? name waited
  [ -n "$stopping" ] && return
  stopping=1
  # Finish the job even if the terminal or a pipe (run.sh | tee) is gone.
  set +e
  trap '' INT TERM HUP PIPE
  if [ ${#started[@]} -gt 0 ]; then
    say ""
    say "Stopping what this run started ..."
    # Services first (gateways send `reconnect` to their clients through nginx), nginx last.
    for name in "${started[@]}"; do
      [ "$name" = nginx ] || kill -TERM "${pid[$name]}" 2>/dev/null || true
    done
    for name in "${started[@]}"; do
      [ "$name" = nginx ] && continue
      waited=0
      while alive "${pid[$name]}" && [ $waited -lt 50 ]; do sleep 0.5; waited=$((waited + 1)); done
      if alive "${pid[$name]}"; then
        say "$name did not stop in 25 s; killing it"
        kill -KILL "${pid[$name]}" 2>/dev/null || true
      fi
    done
    if [ -n "${pid[nginx]:-}" ]; then
      kill -QUIT "${pid[nginx]}" 2>/dev/null || true
      waited=0
      while alive "${pid[nginx]}" && [ $waited -lt 30 ]; do sleep 0.5; waited=$((waited + 1)); done
      if alive "${pid[nginx]}"; then kill -KILL "${pid[nginx]}" 2>/dev/null || true; fi
    fi
    wait 2>/dev/null || true
    say "Stopped ${started[*]}. Redis and PostgreSQL are still running (they are the machine's)."
  fi
  rm -f "$PIDS"/*.pid
  return $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- Tools, Redis, PostgreSQL ----------------------------------------------------------------

command -v java >/dev/null 2>&1 || die "no java on PATH: install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless)"
java_major=$(java -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')
[ "${java_major:-0}" -ge 17 ] || die "java $java_major found; the services need Java 17 or newer"

ensure_backing_packages curl:curl openssl:openssl
ensure_redis
ensure_postgres

ensure_database chat "$RUN/postgres.env"

# --- Ports, build ----------------------------------------------------------------------------

for name in "${names[@]}" nginx; do
  for p in "${port[$name]}" ${management[$name]:-}; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      die "port $p (for $name) is already in use on 127.0.0.1; stop what listens there first"
    fi
  done
done

stale() {
  local module=$1 built=$1/target/quarkus-app/quarkus-run.jar
  # chat-common: both services carry its classes, so a change there rebuilds them too.
  [ ! -f "$built" ] || [ -n "$(find "$module/src/main/java" "$module/src/main/resources" "$module/pom.xml" pom.xml \
    chat-common/src/main chat-common/pom.xml -newer "$built" -print -quit 2>/dev/null)" ]
}
if [ "$build" = auto ] && { stale gateway-service || stale history-service; }; then
  say "Building the services (./mvnw -B -q package -DskipTests; --no-build skips this) ..."
  ./mvnw -B -q package -DskipTests || die "the build failed (see above)"
fi
for name in "${names[@]}"; do
  [ -f "${jar[$name]}" ] || die "${jar[$name]} is missing: build it (./mvnw -B package -DskipTests) or run without --no-build"
done

# --- Start ------------------------------------------------------------------------------------

export CHAT_JWT_SECRET=${CHAT_JWT_SECRET:-$(openssl rand -hex 32)}
[ ${#CHAT_JWT_SECRET} -ge 32 ] || die "CHAT_JWT_SECRET must be at least 32 bytes"
(umask 077 && printf 'CHAT_JWT_SECRET=%s\n' "$CHAT_JWT_SECRET" >"$RUN/local.env")

# start NAME COMMAND...: runs COMMAND in its own session (so Ctrl-C reaches only this script,
# which then stops it in order), output to NAME's log.
start() {
  local name=$1
  shift
  setsid "$@" >>"${log[$name]}" 2>&1 </dev/null &
  pid[$name]=$!
  started+=("$name")
  echo "${pid[$name]}" >"$PIDS/$name.pid"
}

# Bound to 127.0.0.1: the dev profile accepts tokens signed with a shared secret. The management interface (health,
# metrics, OpenAPI) has its own host, 0.0.0.0 by default outside Quarkus's dev mode.
common_env=(QUARKUS_PROFILE=dev QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_HOST=127.0.0.1 "QUARKUS_REDIS_HOSTS=redis://127.0.0.1:$REDIS_PORT")
: >"${log[gateway-a]}" && : >"${log[gateway-b]}" && : >"${log[history]}"
say "Starting gateway-a (:$GATEWAY_A_PORT), gateway-b (:$GATEWAY_B_PORT), history (:$HISTORY_PORT); logs in run/logs/"
footprint=$(jvm_footprint_options)
for name in gateway-a gateway-b; do
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  start "$name" env "${common_env[@]}" QUARKUS_HTTP_PORT="${port[$name]}" \
    QUARKUS_MANAGEMENT_PORT="${management[$name]}" CHAT_NODE_ID="$name" \
    java ${GATEWAY_JAVA_OPTS:-$(gateway_jvm_options)} $footprint $(jvm_aot_cache_options "$root/${jar[$name]}") ${JAVA_OPTS:-} -jar "$root/${jar[$name]}"
done
# shellcheck disable=SC2086
start history env "${common_env[@]}" QUARKUS_HTTP_PORT="$HISTORY_PORT" QUARKUS_MANAGEMENT_PORT="$HISTORY_MANAGEMENT_PORT" \
  QUARKUS_DATASOURCE_REACTIVE_URL="vertx-reactive:postgresql://127.0.0.1:$PG_PORT/chat" \
  QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/chat" \
  QUARKUS_DATASOURCE_USERNAME="$DB_USER" QUARKUS_DATASOURCE_PASSWORD="$DB_PASSWORD" \
  java $(history_jvm_options) $footprint $(jvm_aot_cache_options "$root/${jar[history]}") ${JAVA_OPTS:-} -jar "$root/${jar[history]}"

# ready NAME URL: 0 when URL answers 200 (health UP); dies when NAME's process has exited.
ready() {
  alive "${pid[$1]}" || {
    say "$1 exited during startup. Last lines of ${log[$1]#"$root"/}:" >&2
    tail -n 25 "${log[$1]}" >&2
    die "$1 did not start; see ${log[$1]#"$root"/}"
  }
  [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$2" 2>/dev/null)" = 200 ]
}

wait_ready() {
  local deadline=$((SECONDS + ready_timeout)) name waiting
  declare -A url=()
  # The services' readiness on their management ports; nginx's: the page, through a gateway.
  for name in "$@"; do
    if [ -n "${management[$name]:-}" ]; then url[$name]="http://127.0.0.1:${management[$name]}/q/health/ready"
    else url[$name]="http://127.0.0.1:${port[$name]}/"; fi
  done
  waiting=("$@")
  while [ ${#waiting[@]} -gt 0 ]; do
    local still=()
    for name in "${waiting[@]}"; do ready "$name" "${url[$name]}" || still+=("$name"); done
    waiting=("${still[@]+"${still[@]}"}")
    [ ${#waiting[@]} -eq 0 ] && break
    if [ $SECONDS -ge $deadline ]; then
      for name in "${waiting[@]}"; do
        say "$name is not ready after ${ready_timeout}s: ${url[$name]} says $(curl -s -m 2 "${url[$name]}" | tr -d '\n ' | cut -c1-300)" >&2
        say "Last lines of ${log[$name]#"$root"/}:" >&2
        tail -n 15 "${log[$name]}" >&2
      done
      die "not ready: ${waiting[*]}; see run/logs/ (CHAT_READY_TIMEOUT=${ready_timeout})"
    fi
    sleep 1
  done
}
wait_ready "${names[@]}"

# nginx, with its configuration generated from the template.
mkdir -p "$RUN/nginx/temp"
listen="        listen 127.0.0.1:$NGINX_PORT;"
grep -qi '^0\{31\}1 .* lo$' /proc/net/if_inet6 2>/dev/null && listen+=$'\n'"        listen [::1]:$NGINX_PORT;"
nginx_user=
[ "$(id -u)" -eq 0 ] && nginx_user="user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
conf=$(<deploy/nginx/local.conf.template)
conf=${conf//@USER@/$nginx_user}
conf=${conf//@PREFIX@/$RUN/nginx}
conf=${conf//@LOGS@/$LOGS}
conf=${conf//@CONF_DIR@/$root/deploy/nginx}
conf=${conf//@GATEWAY_A_PORT@/$GATEWAY_A_PORT}
conf=${conf//@GATEWAY_B_PORT@/$GATEWAY_B_PORT}
conf=${conf//@HISTORY_PORT@/$HISTORY_PORT}
conf=${conf//@LISTEN@/$listen}
printf '# Generated by deploy/local/run.sh from deploy/nginx/local.conf.template; edits are overwritten.\n%s\n' \
  "$conf" >"$RUN/nginx/nginx.conf"
nginx_args=(-p "$RUN/nginx/" -c "$RUN/nginx/nginx.conf")
# -e (nginx >= 1.19.5) keeps nginx from opening its built-in error log before reading the config.
nginx -h 2>&1 | grep -q -- '-e filename' && nginx_args+=(-e "${log[nginx]}")
nginx "${nginx_args[@]}" -t -q 2>>"${log[nginx]}" || { tail -n 5 "${log[nginx]}" >&2; die "nginx rejected run/nginx/nginx.conf"; }
start nginx nginx "${nginx_args[@]}"
wait_ready nginx

# --- Tell the user ----------------------------------------------------------------------------

alice=$(deploy/local/token.sh alice)
bob=$(deploy/local/token.sh bob)
base=http://localhost:$NGINX_PORT
page_note=
[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/")" = 200 ] \
  || page_note="  (no web page yet: the gateway serves none so far)"
cat <<EOF

Chat is running: nginx :$NGINX_PORT -> gateway-a :$GATEWAY_A_PORT, gateway-b :$GATEWAY_B_PORT, history :$HISTORY_PORT.

  Open         $base/$page_note
  WebSocket    ws://localhost:$NGINX_PORT/chat?access_token=$alice
  History API  $base/rooms/general/messages   $base/users/me/rooms   (Authorization: Bearer <token>)
  Health       http://127.0.0.1:$GATEWAY_A_MANAGEMENT_PORT/q/health/ready (gateway-a; gateway-b :$GATEWAY_B_MANAGEMENT_PORT, history :$HISTORY_MANAGEMENT_PORT); metrics at /q/metrics, API at /q/openapi

Tokens for alice and bob (HS256, valid 12 h; more: deploy/local/token.sh USER), to paste into a shell:

  export ALICE=$alice
  export BOB=$bob

Try:
  curl -H "Authorization: Bearer \$ALICE" '$base/rooms/general/messages?limit=10'
  npx wscat -c "ws://localhost:$NGINX_PORT/chat?access_token=\$ALICE"    then type {"type":"join","room":"general"}

Logs: run/logs/. Ctrl-C stops everything started here.
EOF

# --- Run until Ctrl-C -------------------------------------------------------------------------

# A process that stops by itself (or is killed, say to watch clients fail over to the other
# gateway) is reported; the rest keep running.
watching=("${started[@]}")
while [ ${#watching[@]} -gt 0 ]; do
  wait -n || true
  still=()
  for name in "${watching[@]}"; do
    if alive "${pid[$name]}"; then
      still+=("$name")
    else
      wait "${pid[$name]}" 2>/dev/null && code=0 || code=$?
      say "$name (pid ${pid[$name]}) has stopped, exit status $code; see ${log[$name]#"$root"/}. The others keep running."
    fi
  done
  watching=("${still[@]+"${still[@]}"}")
done
die "every process has stopped"
