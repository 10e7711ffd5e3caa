# shellcheck shell=bash
# Helpers shared by bench/e2e/run and bench/e2e/idle-rss. Source after scripts/lib/common.sh.

BENCH_DIR="$PGPROXY_ROOT/.bench"
CLUSTER_DIR="$PGPROXY_ROOT/.cluster"
BASE_PORT="${PGPROXY_BASE_PORT:-5433}"
NODE0_PORT="$BASE_PORT"
NODE1_PORT=$((BASE_PORT + 1))

# The pgproxy executable: $PGPROXY_BIN, else .bench/bin/pgproxy (published when missing or with --publish).
bench_pgproxy_bin() {
    local force="${1:-0}"
    if [[ -n "${PGPROXY_BIN:-}" ]]; then echo "$PGPROXY_BIN"; return; fi
    if [[ "$force" -eq 1 || ! -x "$BENCH_DIR/bin/pgproxy" ]]; then
        log "==> dotnet publish src/Pgproxy -c Release -o .bench/bin"
        (cd "$PGPROXY_ROOT" && dotnet publish src/Pgproxy -c Release -o "$BENCH_DIR/bin" -nologo -v quiet -clp:ErrorsOnly >&2)
    fi
    echo "$BENCH_DIR/bin/pgproxy"
}

# write_pgproxy_conf OUT PORT STATE_DIR [extra "key = value" lines...]: the cluster's pgproxy.conf with its own
# port, pid file, logdir and work_dir.
write_pgproxy_conf() {
    local out="$1" port="$2" state="$3"; shift 3
    local lines=("port = $port" "pid_file_name = '$state/pgproxy.pid'" "logdir = '$state'" "work_dir = '$state'" "$@")
    local keys="" line
    for line in "${lines[@]}"; do keys+="${keys:+|}${line%% *}"; done
    mkdir -p "$state" "$(dirname "$out")"
    {
        grep -vE "^($keys) *=" "$CLUSTER_DIR/pgproxy.conf"
        printf '%s\n' "# overrides (bench/e2e)" "${lines[@]}"
    } >"$out"
    cp "$CLUSTER_DIR/pool_hba.conf" "$(dirname "$out")/pool_hba.conf"
}

# start_pgproxy_fg CONF LOG PORT: run pgproxy -n in the background (sets PGPROXY_PID), wait until it answers.
start_pgproxy_fg() {
    local conf="$1" logf="$2" port="$3" bin
    bin="$(bench_pgproxy_bin)"
    if port_open "$port"; then die "port $port is in use (a demo pgproxy? run scripts/demo stop, or set PGPROXY_PORT)"; fi
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    # -D: every run starts with every node attached, whatever an earlier run degenerated (the node status is kept
    # across restarts otherwise); the replication bench checks the nodes' data itself.
    DOTNET_TieredPGO=1 "$bin" -n -D -f "$conf" -a "$(dirname "$conf")/pool_hba.conf" >>"$logf" 2>&1 &
    PGPROXY_PID=$!
    if ! wait_for_pg "$port" 20; then
        tail -n 30 "$logf" >&2 || true
        die "pgproxy did not answer on port $port within 20 s (log: $logf)"
    fi
}

stop_pgproxy_fg() {
    [[ -n "${PGPROXY_PID:-}" ]] || return 0
    if kill -0 "$PGPROXY_PID" 2>/dev/null; then
        kill -INT "$PGPROXY_PID" 2>/dev/null || true
        local i
        for ((i = 0; i < 60; i++)); do kill -0 "$PGPROXY_PID" 2>/dev/null || break; sleep 0.25; done
        kill -KILL "$PGPROXY_PID" 2>/dev/null || true
    fi
    wait "$PGPROXY_PID" 2>/dev/null || true
    PGPROXY_PID=""
}

psql_node() { local port="$1"; shift; psql -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres "$@"; }
