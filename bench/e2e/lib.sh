# shellcheck shell=bash
# Helpers shared by the bench/e2e scripts. Source after scripts/lib/common.sh.

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

# write_pgpool_conf DIR PORT: the anchors' pgpool-II (native replication over nodes 0 and 1, 64 children, max_pool 4,
# load balancing, no health checks) as DIR/pgpool.conf, with an empty DIR/pcp.conf.
write_pgpool_conf() {
    local dir="$1" port="$2"
    cat >"$dir/pgpool.conf" <<CONF
backend_clustering_mode = 'native_replication'
listen_addresses = '127.0.0.1'
port = $port
socket_dir = '$dir'
pcp_listen_addresses = ''
pcp_port = 9895
pcp_socket_dir = '$dir'
wd_ipc_socket_dir = '$dir'
backend_hostname0 = '127.0.0.1'
backend_port0 = $NODE0_PORT
backend_weight0 = 1
backend_data_directory0 = '$CLUSTER_DIR/data/node0'
backend_flag0 = 'ALLOW_TO_FAILOVER'
backend_hostname1 = '127.0.0.1'
backend_port1 = $NODE1_PORT
backend_weight1 = 1
backend_data_directory1 = '$CLUSTER_DIR/data/node1'
backend_flag1 = 'ALLOW_TO_FAILOVER'
enable_pool_hba = off
pool_passwd = ''
num_init_children = 64
max_pool = 4
load_balance_mode = on
replicate_select = off
insert_lock = off
health_check_period = 0
sr_check_period = 0
failover_on_backend_error = off
use_watchdog = off
memory_cache_enabled = off
log_destination = 'stderr'
log_min_messages = warning
pid_file_name = '$dir/pgpool.pid'
logdir = '$dir'
CONF
    : >"$dir/pcp.conf"
}

psql_node() { local port="$1"; shift; psql -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres "$@"; }

# CPU time per transaction, steadier than throughput on a shared machine: clock ticks sampled around a run.
# busy_ticks: the whole machine's working time (user, nice, system, irq, softirq); idle, iowait and steal (time
# another guest of the host took) are left out.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# tree_ticks PID: the process's own time, that of its children it reaped, and that of its live children (pgpool-II
# works in child processes); 0 when there is no such process.
tree_ticks() {
    local pid="$1" total child
    [[ -n "$pid" && -r "/proc/$pid/stat" ]] || { echo 0; return; }
    total="$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat" 2>/dev/null || echo 0)"
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

# per_tx_us TICKS TRANSACTIONS: microseconds of CPU per transaction, or "-" without transactions.
per_tx_us() {
    awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "-" }'
}
