# shellcheck shell=bash
# PostgreSQL's regression suite for the installed server, prepared once into .regress/ (git-ignored):
# Debian's source package of exactly the installed postgresql-$PG_MAJOR, postgresql-server-dev-$PG_MAJOR of exactly
# that version, and regress.so / autoinc.so / refint.so built with PGXS against the installed server.
# Source after scripts/lib/common.sh and ensure_postgres. Sets PG_REGRESS, REGRESS_SRC (src/test/regress), REGRESS_LIB.

REGRESS_DIR="$PGPROXY_ROOT/.regress"
SRC_LIST=/etc/apt/sources.list.d/pgproxy-regress-src.sources

regress_prepare() {
    local major ver pkg stamp srcdir
    major="$(basename "$(dirname "$PG_BIN")")"
    pkg="postgresql-$major"
    ver="$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)" || die "$pkg is not installed as a Debian package"
    stamp="$REGRESS_DIR/prepared-$ver-2"  # -N: the build recipe's revision
    srcdir="$REGRESS_DIR/src/$pkg-${ver%%-*}"
    REGRESS_SRC="$srcdir/src/test/regress"
    REGRESS_LIB="$REGRESS_DIR/lib"
    PG_REGRESS="$REGRESS_DIR/lib/pg_regress"
    if [[ -f "$stamp" && -x "$PG_REGRESS" && -f "$REGRESS_LIB/regress.so" ]]; then return 0; fi
    log "==> preparing PostgreSQL's regression suite for $pkg $ver in $REGRESS_DIR"
    is_root || die "preparing needs root (apt-get); run once as root"
    mkdir -p "$REGRESS_DIR/src" "$REGRESS_LIB"

    # deb-src entries for bookworm, bookworm-updates and bookworm-security (the installed version may be in either).
    # (grep reads all its input: with pipefail, grep -q would fail the pipeline by SIGPIPE)
    if ! apt-cache showsrc "$pkg" 2>/dev/null | grep -cx "Version: $ver" >/dev/null; then
        [[ -f "$SRC_LIST" ]] || cat >"$SRC_LIST" <<SRC
# added by pgproxy bench/regress/run: source packages for PostgreSQL's regression suite
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        log "apt-get update (deb-src in $SRC_LIST)"
        apt-get update -qq >/dev/null
        apt-cache showsrc "$pkg" | grep -cx "Version: $ver" >/dev/null \
            || die "the source package $pkg $ver is not available from the configured feeds"
    fi

    # postgresql-server-dev of exactly the server's version: another version would upgrade the running server's
    # libraries (or the server itself) under the running clusters, so refuse that.
    if [[ "$(dpkg-query -W -f='${Version}' "postgresql-server-dev-$major" 2>/dev/null)" != "$ver" ]]; then
        apt-cache madison "postgresql-server-dev-$major" | grep -cF "| $ver |" >/dev/null \
            || die "postgresql-server-dev-$major $ver (the installed server's version) is not available; refusing to install another version"
        local sim
        sim="$(DEBIAN_FRONTEND=noninteractive apt-get install -s -y --no-install-recommends "postgresql-server-dev-$major=$ver")"
        if grep -E '^(Inst|Remv) ' <<<"$sim" | grep -vE "^Inst postgresql-server-dev-$major " \
                | grep -E '^(Inst|Remv) (postgresql|libpq)'; then
            die "installing postgresql-server-dev-$major=$ver would change the packages above; refusing"
        fi
        log "apt-get install postgresql-server-dev-$major=$ver"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "postgresql-server-dev-$major=$ver" >/dev/null
    fi

    if [[ ! -d "$srcdir/src/test/regress" ]]; then
        log "apt-get source $pkg=$ver"
        (cd "$REGRESS_DIR/src" && apt-get source -qq "$pkg=$ver" >/dev/null 2>"$REGRESS_DIR/src/apt-source.log") \
            || { tail "$REGRESS_DIR/src/apt-source.log" >&2; die "apt-get source $pkg=$ver failed"; }
        [[ -d "$srcdir/src/test/regress" ]] || die "no $srcdir/src/test/regress after apt-get source"
    fi

    # regress.so, autoinc.so, refint.so with PGXS against the installed server; pg_regress as PGXS ships it.
    local pgc="$PG_BIN/pg_config" b="$REGRESS_DIR/build"
    rm -rf "$b"; mkdir -p "$b/regress" "$b/spi"
    cp "$REGRESS_SRC/regress.c" "$b/regress/"
    printf '%s\n' 'MODULES = regress' 'PG_CONFIG ?= pg_config' 'PGXS := $(shell $(PG_CONFIG) --pgxs)' 'include $(PGXS)' \
        >"$b/regress/Makefile"
    cp "$srcdir"/contrib/spi/{autoinc.c,refint.c} "$b/spi/"
    # as contrib/spi/Makefile builds them for the regression tests (refint's NOTICEs are in the expected output)
    printf '%s\n' 'MODULES = autoinc refint' 'PG_CPPFLAGS = -DREFINT_VERBOSE' 'PG_CONFIG ?= pg_config' 'PGXS := $(shell $(PG_CONFIG) --pgxs)' 'include $(PGXS)' \
        >"$b/spi/Makefile"
    log "building regress.so, autoinc.so, refint.so (PGXS, $("$pgc" --version))"
    make -s -C "$b/regress" PG_CONFIG="$pgc" with_llvm=no >"$b/build.log" 2>&1 \
        && make -s -C "$b/spi" PG_CONFIG="$pgc" with_llvm=no >>"$b/build.log" 2>&1 \
        || { tail -n 30 "$b/build.log" >&2; die "building the regression modules failed (log: $b/build.log)"; }
    cp "$b/regress/regress.so" "$b/spi/autoinc.so" "$b/spi/refint.so" "$REGRESS_LIB/"
    local pgxs_regress
    pgxs_regress="$(dirname "$("$pgc" --pgxs)")/../test/regress/pg_regress"
    [[ -x "$pgxs_regress" ]] || die "no pg_regress at $pgxs_regress (postgresql-server-dev-$major)"
    cp "$pgxs_regress" "$PG_REGRESS"
    # The servers read the suite's data files and write into its results folders as the postgres OS user.
    if is_root; then chown -R postgres:postgres "$REGRESS_DIR"; fi
    touch "$stamp"
    log "prepared: $PG_REGRESS, $REGRESS_LIB/{regress,autoinc,refint}.so, suite in $REGRESS_SRC"
}
