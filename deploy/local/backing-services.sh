# shellcheck shell=bash
# Sourced by deploy/local/run.sh and .ci/run (the benchmark and cap-check scripts use its helpers): installs
# (apt-get) and starts what the services need on a Debian or Ubuntu machine: Redis on 127.0.0.1:6379,
# PostgreSQL on 127.0.0.1:5432, nginx.
# Redis and PostgreSQL are left running afterwards; they are the machine's, not a run's.

REDIS_PORT=6379
PG_PORT=5432

# Debian installs nginx in /usr/sbin, which a normal user's PATH leaves out (root's and Ubuntu's have it): without it the
# check below would install nginx again on every run, and starting it would fail.
case ":$PATH:" in
  *:/usr/sbin:*) ;;
  *) PATH=$PATH:/usr/sbin:/sbin && export PATH ;;
esac

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A loopback TCP port nothing listens on (for a scratch server).
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  die "no free port found"
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "this step needs root and sudo is missing: $*"
  fi
}

# Runs a command as the postgres OS user (peer authentication on the local socket), from a
# directory that user can read.
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    (cd / && "$@")
  elif [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  elif command -v sudo >/dev/null 2>&1; then
    (cd / && sudo -u postgres "$@")
  else
    die "this step needs the postgres user and sudo is missing: $*"
  fi
}

apt_updated=
# ensure_packages PACKAGE:CHECK ...  installs each PACKAGE whose CHECK (a command name, or a
# path glob when it contains '/') is not on this machine.
ensure_packages() {
  local pair package check missing=()
  for pair in "$@"; do
    package=${pair%%:*}
    check=${pair#*:}
    if [[ $check == */* ]]; then
      compgen -G "$check" >/dev/null && continue
    else
      command -v "$check" >/dev/null 2>&1 && continue
    fi
    missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]}; install them (this script knows only apt-get)"
  say "Installing ${missing[*]} (apt-get)"
  if [ -z "$apt_updated" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -qq update \
      || say "warning: apt-get update failed; installing from the package lists at hand"
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -qq -y install --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get could not install ${missing[*]}"
}

ensure_backing_packages() {
  ensure_packages redis-server:redis-server redis-tools:redis-cli \
    postgresql:'/usr/lib/postgresql/*/bin/postgres' postgresql-client:psql \
    nginx:nginx "$@"
}

redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
pg_answers() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND twice a second.
wait_for() {
  local seconds=$1 what=$2 i
  shift 2
  for ((i = 0; i < seconds * 2; i++)); do
    "$@" && return 0
    sleep 0.5
  done
  die "$what"
}

ensure_redis() {
  redis_answers && return 0
  say "Starting Redis on 127.0.0.1:$REDIS_PORT (no persistence)"
  (cd / && redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null) \
    || die "redis-server did not start"
  wait_for 10 "Redis does not answer on 127.0.0.1:$REDIS_PORT" redis_answers
}

ensure_postgres() {
  pg_answers && return 0
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ] || [ ! -d "/etc/postgresql/$version/main" ]; then
    # The package is there but its cluster is not (removed, or installed without one).
    version=${version:-$(ls /usr/lib/postgresql | sort -V | tail -n 1)}
    say "Creating PostgreSQL cluster $version/main"
    as_root pg_createcluster "$version" main >/dev/null
  fi
  say "Starting PostgreSQL $version on 127.0.0.1:$PG_PORT"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || as_root service postgresql start >/dev/null 2>&1 \
    || true
  wait_for 30 "PostgreSQL does not answer on 127.0.0.1:$PG_PORT; see /var/log/postgresql/" pg_answers
}

# psql_tcp USER PASSWORD DATABASE ARGS...: psql over 127.0.0.1, never prompting for a password.
psql_tcp() {
  local user=$1 password=$2 db=$3
  shift 3
  PGPASSWORD=$password PGCONNECT_TIMEOUT=5 psql -X -q -w -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$PG_PORT" -U "$user" -d "$db" "$@"
}

# True when the postgres superuser gets in over 127.0.0.1 without a password (trust auth).
pg_trusts_localhost() { psql_tcp postgres "" postgres -tAc 'select 1' >/dev/null 2>&1; }

# shellcheck disable=SC2120 # callers pass psql arguments, or SQL on standard input
# pg_admin ARGS...: psql as the postgres superuser, over 127.0.0.1 when that needs no password,
# else through the local socket as the postgres OS user (stock Debian: peer authentication).
pg_admin() {
  if pg_trusts_localhost; then
    psql_tcp postgres "" postgres "$@"
  else
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
  fi
}

# pg_create_database NAME OWNER: creates the database unless it exists.
pg_create_database() {
  printf "SELECT 'CREATE DATABASE \"%s\" OWNER \"%s\"' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '%s')\n\\\\gexec\n" \
    "$1" "$2" "$1" | pg_admin -f - >/dev/null
}

# ensure_database NAME CREDENTIALS_FILE: makes database NAME reachable on 127.0.0.1 and sets
# DB_USER and DB_PASSWORD to credentials that get in. With trust authentication on 127.0.0.1 (as on
# machines set up for development) that is the postgres user, no password. Otherwise (stock
# Debian asks for a password there) it is a role `chat` with a generated password, which
# CREDENTIALS_FILE keeps for the next run.
# shellcheck disable=SC2034 # DB_USER and DB_PASSWORD are for the caller
ensure_database() {
  local db=$1 file=$2
  if pg_trusts_localhost; then
    DB_USER=postgres DB_PASSWORD=
    pg_create_database "$db" postgres
    return 0
  fi
  DB_USER=chat
  DB_PASSWORD=$(sed -n 's/^PASSWORD=//p' "$file" 2>/dev/null || true)
  [ -n "$DB_PASSWORD" ] && psql_tcp chat "$DB_PASSWORD" "$db" -tAc 'select 1' >/dev/null 2>&1 && return 0
  say "PostgreSQL wants a password on 127.0.0.1: giving role chat a new one (kept in ${file#"$PWD"/}) and database $db"
  DB_PASSWORD=$(openssl rand -hex 16)
  pg_admin -f - >/dev/null <<SQL
SELECT 'CREATE ROLE chat' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chat')
\gexec
ALTER ROLE chat WITH LOGIN PASSWORD '$DB_PASSWORD';
SQL
  pg_create_database "$db" chat
  pg_admin -c "ALTER DATABASE \"$db\" OWNER TO chat" >/dev/null
  mkdir -p "$(dirname "$file")"
  (umask 077 && printf 'USER=chat\nPASSWORD=%s\n' "$DB_PASSWORD" >"$file")
  psql_tcp chat "$DB_PASSWORD" "$db" -tAc 'select 1' >/dev/null \
    || die "role chat still cannot reach database $db on 127.0.0.1:$PG_PORT; check pg_hba.conf"
}

# JVM options for the services that this machine's `java` accepts: compact object headers (a product
# option from JDK 25; JDK 17 and 21 lack it, 24 needs an experimental unlock) take 4-8 bytes off every
# object, about 1 KB of heap per idle connection (BENCHMARKS.md). Prints nothing on older JVMs.
jvm_footprint_options() {
  if java -XX:+UseCompactObjectHeaders -version >/dev/null 2>&1; then
    printf '%s' "-XX:+UseCompactObjectHeaders"
  fi
}

# The AOT cache that `./mvnw verify` leaves beside a service's jar when it runs on JDK 25 or newer (root pom, profile
# aot-cache): the classes its integration tests loaded and linked, and the profiles of the methods they ran hot. A
# gateway started with it is ready in about 1 s instead of 2.6 s and meets its first connect storm with about a fifth
# less CPU (BENCHMARKS.md). Prints the option for JAR's cache when there is one, this `java` has the option and
# AOT_CACHE is not `off`; a cache that another JDK build or other JVM options recorded is refused with a warning, and
# the service starts without it.
jvm_aot_cache_options() { # JAR
  local cache
  cache="$(dirname "$1")/app.aot"
  if [ "${AOT_CACHE:-on}" != off ] && [ -f "$cache" ] && java -XX:AOTCache="$cache" -version >/dev/null 2>&1; then
    printf '%s' "-XX:AOTCache=$cache"
  fi
}

# Both services' JIT options, as in deploy/'s images: shallower inlining than HotSpot's defaults (MaxInlineLevel 15,
# InlineSmallCode 2500, FreqInlineSize 325). The services' hot paths run through deep framework stacks, and C2 spent
# as much CPU compiling them as a gateway's event loops spent serving a connect storm. With these a fresh gateway's
# storm costs about 11 % less CPU, a warm one's 30-50 % less, fan-out is no slower (3.7-4.5 against 4.5-4.6 µs per
# delivery once warm), and a fresh history service stores a message for about 10 % less (BENCHMARKS.md).
jvm_jit_options() {
  printf '%s' "-XX:MaxInlineLevel=9 -XX:InlineSmallCode=1000 -XX:FreqInlineSize=150"
}

# The gateways' JVM options, as in deploy/'s image and pod: serial GC, a fixed 32 MB young generation and tight heap
# free ratios (RSS per idle connection), and the JIT options above.
gateway_jvm_options() {
  printf '%s %s' "-XX:+UseSerialGC -Xmn32m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20" "$(jvm_jit_options)"
}

# The JVM options of deploy/'s images, from the variables a container sets (the image's ENV, then the pod's env). Their
# entrypoint, run-java.sh of Red Hat's OpenJDK runtime images (rh-openjdk/redhat-openjdk-containers, modules/jvm:
# java-default-options), gives java: the heap at 80 % of the container's memory, the collector of GC_CONTAINER_OPTIONS
# (-XX:+UseParallelGC unless set), the heap's free ratios and the GC time ratio (GC_MIN_HEAP_FREE_RATIO,
# GC_MAX_HEAP_FREE_RATIO, GC_TIME_RATIO, GC_ADAPTIVE_SIZE_POLICY_WEIGHT: 10, 20, 4 and 90 unless set), exit on
# OutOfMemoryError, then JAVA_OPTS_APPEND. cap-check.sh runs a pod's gateway with them; DeploymentManifestsTest starts
# a JVM with them.
entrypoint_jvm_options() {
  printf '%s' "-XX:MaxRAMPercentage=80.0 ${GC_CONTAINER_OPTIONS:--XX:+UseParallelGC}" \
    " -XX:MinHeapFreeRatio=${GC_MIN_HEAP_FREE_RATIO:-10} -XX:MaxHeapFreeRatio=${GC_MAX_HEAP_FREE_RATIO:-20}" \
    " -XX:GCTimeRatio=${GC_TIME_RATIO:-4} -XX:AdaptiveSizePolicyWeight=${GC_ADAPTIVE_SIZE_POLICY_WEIGHT:-90}" \
    " -XX:+ExitOnOutOfMemoryError${JAVA_OPTS_APPEND:+ $JAVA_OPTS_APPEND}"
}

# The history service's JVM options, as in deploy/'s image and pod: G1, named (the JVM picks it by itself only on
# machines with 2 CPUs and 2 GB), and the JIT options above.
history_jvm_options() {
  printf '%s %s' "-XX:+UseG1GC" "$(jvm_jit_options)"
}
