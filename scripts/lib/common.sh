# shellcheck shell=bash
# Shared helpers for scripts/*, bench/e2e/* and .ci/run. Source it; it sets no shell options itself.

PGPROXY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log()  { printf '%s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a command as the OS user that owns the PostgreSQL processes: `postgres` when we are root
# (initdb, pgbouncer and pgpool refuse root), otherwise the current user.
as_pg() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Create folders owned by the PostgreSQL OS user.
mkdir_pg() {
    mkdir -p "$@"
    if is_root; then chown postgres:postgres "$@"; fi
}

# Print the PostgreSQL server bin folder (the one holding initdb), or nothing.
# Order: $PG_BIN, `pg_config --bindir`, newest /usr/lib/postgresql/*/bin, PATH.
pg_bindir() {
    local d
    if [[ -n "${PG_BIN:-}" && -x "${PG_BIN}/initdb" ]]; then echo "$PG_BIN"; return; fi
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; return; fi
    fi
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; return; fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
    fi
}

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
    local sudo=()
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install $*"
        sudo=(sudo)
    fi
    if [[ "$APT_UPDATED" -eq 0 ]]; then
        log "apt-get update"
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Make sure the PostgreSQL server binaries (initdb, pg_ctl, postgres, psql, pgbench, pg_isready) are there,
# and put their folder first on PATH.
ensure_postgres() {
    local bin
    bin="$(pg_bindir)"
    if [[ -z "$bin" ]]; then
        apt_install postgresql postgresql-contrib
        bin="$(pg_bindir)"
        [[ -n "$bin" ]] || die "PostgreSQL installed but no initdb found"
    fi
    # The Debian package starts a cluster on 5432 where it can; ours use other ports, so it can stay.
    export PG_BIN="$bin"
    case ":$PATH:" in *":$bin:"*) ;; *) export PATH="$bin:$PATH" ;; esac
    if is_root && ! id postgres >/dev/null 2>&1; then
        die "running as root but there is no 'postgres' OS user (PostgreSQL must not run as root)"
    fi
}

ensure_dotnet() {
    command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is not on PATH; install .NET 10 SDK"
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

# wait_for_port PORT SECONDS: wait until something answers pg_isready on 127.0.0.1:PORT.
wait_for_pg() {
    local port="$1" secs="${2:-20}" i
    for ((i = 0; i < secs * 4; i++)); do
        if pg_isready -q -h 127.0.0.1 -p "$port" -t 1 >/dev/null 2>&1; then return 0; fi
        sleep 0.25
    done
    return 1
}

# Is a TCP port on 127.0.0.1 accepting connections?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
