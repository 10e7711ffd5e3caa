# shellcheck shell=bash
# Clusters, pgproxy and the node comparison for bench/regress/run. Source after scripts/lib/common.sh.

# node_start DIR PORT: initdb a fresh cluster in DIR (removed first), tuned like scripts/cluster, and start it.
node_start() {
    local data="$1" port="$2"
    if port_open "$port"; then die "port $port is in use"; fi
    rm -rf "$data"; mkdir_pg "$(dirname "$data")"
    as_pg initdb -D "$data" -A trust -U postgres --no-sync -E UTF8 --locale=C >"$data.initdb.log" 2>&1 \
        || { tail -n 20 "$data.initdb.log" >&2; die "initdb failed ($data)"; }
    as_pg tee -a "$data/postgresql.conf" >/dev/null <<CONF
# --- bench/regress (like scripts/cluster) ---
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$(dirname "$data")'
max_connections = 150
max_prepared_transactions = 150
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
CONF
    # NODE_EXTRA_CONF: more settings for the caller's suite (later lines win over the ones above)
    if [[ -n "${NODE_EXTRA_CONF:-}" ]]; then as_pg tee -a "$data/postgresql.conf" >/dev/null <<<"$NODE_EXTRA_CONF"; fi
    as_pg pg_ctl -D "$data" -l "$data.log" -w -t 60 start >/dev/null \
        || { tail -n 30 "$data.log" >&2; die "PostgreSQL did not start ($data)"; }
}

node_stop() {
    local data="$1"
    [[ -f "$data/postmaster.pid" ]] || return 0
    as_pg pg_ctl -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 \
        || as_pg pg_ctl -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
}

# proxy_start DIR PORT NODE_PORT...: pgproxy.conf (as the test fixtures write it; replication mode with two or
# more nodes, every other setting at its default), pool_hba.conf (trust, replication too), then pgproxy -n -D in the background.
# The nodes' data directories: $NODES_DIR/node<i> (default: bench/regress's $REGRESS_DIR/clusters/$TARGET).
proxy_start() {
    local dir="$1" port="$2" i=0 p; shift 2
    if port_open "$port"; then die "port $port is in use"; fi
    mkdir -p "$dir"
    {
        echo "listen_addresses = '127.0.0.1'"; echo "port = $port"; echo "unix_socket_directories = ''"
        echo "num_init_children = 64"; echo "max_pool = 4"; echo "enable_pool_hba = on"
        echo "health_check_user = 'postgres'"; echo "admin_users = 'postgres'"
        for p in "$@"; do
            echo "backend_hostname$i = '127.0.0.1'"; echo "backend_port$i = $p"; echo "backend_weight$i = 1"
            echo "backend_data_directory$i = '${NODES_DIR:-$REGRESS_DIR/clusters/$TARGET}/node$i'"
            i=$((i + 1))
        done
        echo "pid_file_name = '$dir/pgproxy.pid'"; echo "logdir = '$dir'"; echo "work_dir = '$dir'"
    } >"$dir/pgproxy.conf"
    # as initdb -A trust writes pg_hba.conf: replication connections too (pgproxy relays them to main)
    printf '%s\n' 'local   all   all                  trust' 'host    all   all   127.0.0.1/32   trust' \
        'host    replication   all   127.0.0.1/32   trust' >"$dir/pool_hba.conf"
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    "$PGPROXY" -n -D -f "$dir/pgproxy.conf" -a "$dir/pool_hba.conf" >>"$dir/pgproxy.log" 2>&1 &
    PROXY_PID=$!
    wait_for_pg "$port" 30 || { tail -n 30 "$dir/pgproxy.log" >&2; die "pgproxy did not answer on $port"; }
}

proxy_stop() {
    [[ -n "${PROXY_PID:-}" ]] || return 0
    kill -INT "$PROXY_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 40; i++)); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
    PROXY_PID=""
}

# node_state PORT DB: one line per table ("T schema.table count hash oids") and per sequence
# ("S schema.seq last_value is_called"), read on the node directly. "oids": the table has a column of type
# oid or reg*, so it stores OIDs by design (they differ between nodes).
node_state() {
    local port="$1" db="$2"
    psql -X -q -A -t -F $'\t' -h 127.0.0.1 -p "$port" -U postgres -d "$db" 2>/dev/null <<'SQL'
select format('select %L, %L, count(*), coalesce(sum(hashtextextended(t::text, 0)), 0), %L from %s t',
              'T', c.oid::regclass::text, case when exists (
                  select 1 from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                  and (a.atttypid = 'oid'::regtype or format_type(a.atttypid, null) like 'reg%')) then 'oids' else '-' end,
              c.oid::regclass)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'm') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(temp|toast)'
order by 1 \gexec
select format('select %L, %L, last_value, is_called from %s', 'S', c.oid::regclass::text, c.oid::regclass)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'S' and n.nspname !~ '^pg_(temp|toast)' order by 1 \gexec
select 'X', 'prepared_xacts', count(*) from pg_prepared_xacts
SQL
}

# Tables of the suite whose text columns hold OIDs: event_trigger's dropped_objects names pg_toast_<oid> tables.
OID_TEXT_TABLES="dropped_objects"

# compare_nodes OUT PORT0 PORT1: every database on both nodes, every table's rows and every sequence's state.
# Writes OUT (the differences, one a line) and prints nothing.
compare_nodes() {
    local out="$1" p0="$2" p1="$3" db dbs0 dbs1
    : >"$out"
    q() { psql -X -q -A -t -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2"; }
    dbs0="$(q "$p0" "select datname from pg_database where datallowconn and datname not in ('template1') order by 1")"
    dbs1="$(q "$p1" "select datname from pg_database where datallowconn and datname not in ('template1') order by 1")"
    [[ "$dbs0" == "$dbs1" ]] || diff <(echo "$dbs0") <(echo "$dbs1") | sed -n 's/^</database only on node 0:/p; s/^>/database only on node 1:/p' >>"$out"
    for db in $(comm -12 <(echo "$dbs0") <(echo "$dbs1")); do
        node_state "$p0" "$db" | LC_ALL=C sort -t $'\t' -k2,2 >"$out.$db.0"
        node_state "$p1" "$db" | LC_ALL=C sort -t $'\t' -k2,2 >"$out.$db.1"
        # fields: name, node 0's kind count/last hash/is_called oids, node 1's the same
        LC_ALL=C join -t $'\t' -j 2 -a 1 -a 2 -e '-' -o 0,1.1,1.3,1.4,1.5,2.1,2.3,2.4,2.5 "$out.$db.0" "$out.$db.1" \
            | awk -F '\t' -v db="$db" -v oidtext="$OID_TEXT_TABLES" '
            BEGIN { n = split(oidtext, a, " "); for (i = 1; i <= n; i++) named[a[i]] = 1 }
            $3 " " $4 != $7 " " $8 {
                kind = ($2 != "-") ? $2 : $6
                note = ($5 == "oids" || $9 == "oids") ? "  (stores OIDs by design: oid/reg* column)" : \
                       ($1 in named) ? "  (stores OIDs by design: in text)" : ""
                if (kind == "T") printf "%s: table %s: node0 rows=%s hash=%s, node1 rows=%s hash=%s%s\n", db, $1, $3, $4, $7, $8, note
                else if (kind == "S") printf "%s: sequence %s: node0 last_value=%s is_called=%s, node1 %s %s\n", db, $1, $3, $4, $7, $8
                else printf "%s: %s: node0 %s, node1 %s\n", db, $1, $3, $7
            }' >>"$out"
        rm -f "$out.$db.0" "$out.$db.1"
    done
}
