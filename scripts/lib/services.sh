#!/usr/bin/env bash
# Shared set-up for scripts/run, scripts/test, scripts/bench and scripts/chaos.
# Installs what is missing, starts redis-server and SecantusDB on loopback, and stops them on exit.
# Source it; it defines functions and changes nothing until they are called.

INLET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INLET_VENV="$INLET_ROOT/.venv"
INLET_PIDS=()

log() { printf '[inlet] %s\n' "$*" >&2; }

# Installs Debian packages and the SecantusDB virtual environment when they are missing.
ensure_deps() {
    local want=(libhiredis-dev libmongoc-dev libbson-dev libnghttp2-dev libjemalloc-dev redis-server pkg-config "$@")
    local missing=()
    for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if [ ! -x "$INLET_VENV/bin/secantusd-py" ]; then
        log "installing SecantusDB into $INLET_VENV"
        python3 -m venv "$INLET_VENV"
        "$INLET_VENV/bin/pip" install -q --pre SecantusDB
    fi
}

# Prints a TCP port on 127.0.0.1 that nothing listens on now, below the kernel's ephemeral range
# (see free_port.py: servers restarted on their port must find it free).
free_port() {
    python3 "$INLET_ROOT/scripts/lib/free_port.py"
}

# Waits until something accepts TCP connections on 127.0.0.1:$1 (up to $2 seconds, default 20).
wait_port() {
    local port=$1 limit=${2:-20} i=0
    while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        i=$((i + 1)); [ $i -gt $((limit * 10)) ] && return 1; sleep 0.1
    done
}

# start_redis PORT DIR: redis-server on loopback, data (if any) under DIR.
start_redis() {
    local port=$1 dir=$2
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
        --daemonize no --logfile "$dir/redis.log" &
    INLET_PIDS+=($!)
    wait_port "$port" 10 || { log "redis-server did not start on $port"; return 1; }
    log "redis-server on 127.0.0.1:$port (pid ${INLET_PIDS[-1]})"
}

# start_mongo PORT DIR: SecantusDB (MongoDB wire protocol) on loopback; DIR may be ':memory:'.
start_mongo() {
    local port=$1 dir=$2 logdir=${3:-$INLET_ROOT/.local}
    mkdir -p "$logdir"
    [ "$dir" = ":memory:" ] || mkdir -p "$dir"
    "$INLET_VENV/bin/secantusd-py" --host 127.0.0.1 --port "$port" --storage-path "$dir" \
        --enable-test-commands --log-level WARNING >"$logdir/secantus-$port.log" 2>&1 &
    INLET_PIDS+=($!)
    wait_port "$port" 30 || { log "secantusd-py did not start on $port"; cat "$logdir/secantus-$port.log" >&2; return 1; }
    log "SecantusDB on 127.0.0.1:$port (pid ${INLET_PIDS[-1]})"
}

# Generates the self-signed development certificate when certs/ has none.
ensure_dev_cert() {
    local dir=${1:-$INLET_ROOT/certs}
    if [ ! -f "$dir/dev.pem" ] || [ ! -f "$dir/dev-key.pem" ]; then
        mkdir -p "$dir"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
            -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
            -keyout "$dir/dev-key.pem" -out "$dir/dev.pem" >/dev/null 2>&1
        log "wrote a self-signed development certificate to $dir"
    fi
}

# Stops everything this shell started, whatever the outcome.
stop_services() {
    for pid in "${INLET_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${INLET_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    INLET_PIDS=()
}
