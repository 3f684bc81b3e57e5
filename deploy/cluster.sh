#!/usr/bin/env bash
# A cluster of zstack-rs management nodes on this machine, on the local RabbitMQ and PostgreSQL.
#
#   deploy/cluster.sh start    # three nodes on 127.0.0.1:8080-8082
#   deploy/cluster.sh status
#   deploy/cluster.sh stop
#
# Settings (environment):
#   ZSTACK_NODES       how many nodes (3)
#   ZSTACK_BASE_PORT   the first node's HTTP port; the others follow (8080)
#   ZSTACK_DB_URL      the database all nodes share, created if missing
#                      (postgres://postgres@127.0.0.1:5432/zstack)
#   ZSTACK_AMQP_URL    the broker (amqp://guest:guest@127.0.0.1:5672/%2f)
#   ZSTACK_BIN         the zstack binary (default: target/release/zstack, built when missing)
#   ZSTACK_RUN_DIR     where pid and log files go (deploy/run)
# Any other ZSTACK_* variable (ZSTACK_HEARTBEAT_INTERVAL, ZSTACK_SERVICES, ...) reaches every node.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
nodes=${ZSTACK_NODES:-3}
base_port=${ZSTACK_BASE_PORT:-8080}
db_url=${ZSTACK_DB_URL:-postgres://postgres@127.0.0.1:5432/zstack}
amqp_url=${ZSTACK_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
run_dir=${ZSTACK_RUN_DIR:-$here/run}
bin=${ZSTACK_BIN:-$root/target/release/zstack}

say() { printf '%s\n' "$*" >&2; }

answers() { # port
    curl -fsS -o /dev/null --max-time 2 -X PUT -H 'Content-Type: application/json' \
        -d '{"getVersion":{}}' "http://127.0.0.1:$1/zstack/v1/management-nodes/actions"
}

wait_for() { # port pid
    for _ in $(seq 1 300); do
        if answers "$1"; then return 0; fi
        if ! kill -0 "$2" 2>/dev/null; then
            say "the node on port $1 exited; see $run_dir/node-$1.log"
            return 1
        fi
        sleep 0.1
    done
    say "the node on port $1 did not answer within 30 s; see $run_dir/node-$1.log"
    return 1
}

ensure_database() {
    local name=${db_url##*/}
    name=${name%%\?*}
    local admin=${db_url%/*}/postgres
    if ! pg_isready -q -d "$admin"; then
        say "PostgreSQL is not reachable at ${db_url%/*}"
        exit 1
    fi
    if [ -z "$(psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
        psql "$admin" -qc "CREATE DATABASE \"$name\"" >/dev/null
        say "created database $name"
    fi
}

ensure_broker() {
    local hostport=${amqp_url#*://}
    hostport=${hostport#*@}
    hostport=${hostport%%/*}
    local host=${hostport%:*} port=${hostport##*:}
    [ "$port" = "$hostport" ] && port=5672
    if ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
        say "RabbitMQ is not reachable at $host:$port"
        exit 1
    fi
}

start_node() { # port
    local port=$1 pidfile=$run_dir/node-$1.pid
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        say "node on port $port already runs (pid $(cat "$pidfile"))"
        return 0
    fi
    ZSTACK_DB_URL=$db_url ZSTACK_AMQP_URL=$amqp_url \
        nohup "$bin" serve --bind 127.0.0.1 --port "$port" >"$run_dir/node-$port.log" 2>&1 &
    echo $! >"$pidfile"
    wait_for "$port" "$!"
    say "node on http://127.0.0.1:$port (pid $!)"
}

start() {
    ensure_database
    ensure_broker
    if [ ! -x "$bin" ]; then
        say "building $bin"
        (cd "$root" && cargo build --release --locked)
    fi
    mkdir -p "$run_dir"
    # The first node migrates the schema; the others start once it serves.
    start_node "$base_port"
    for i in $(seq 1 $((nodes - 1))); do
        start_node $((base_port + i))
    done
}

stop() {
    local pids=()
    for pidfile in "$run_dir"/node-*.pid; do
        [ -f "$pidfile" ] || continue
        local pid
        pid=$(cat "$pidfile")
        if kill -TERM "$pid" 2>/dev/null; then pids+=("$pid"); fi
        rm -f "$pidfile"
    done
    # Each node finishes its running jobs within its shutdown grace (30 s by default).
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 450); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "pid $pid did not stop; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    say "stopped ${#pids[@]} node(s)"
}

status() {
    local running=0
    for pidfile in "$run_dir"/node-*.pid; do
        [ -f "$pidfile" ] || continue
        local port=${pidfile##*/node-}
        port=${port%.pid}
        if kill -0 "$(cat "$pidfile")" 2>/dev/null && answers "$port"; then
            echo "node on port $port: running (pid $(cat "$pidfile"))"
            running=$((running + 1))
        else
            echo "node on port $port: not answering"
        fi
    done
    [ "$running" -gt 0 ]
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*)
    say "usage: $0 start|stop|status"
    exit 2
    ;;
esac
