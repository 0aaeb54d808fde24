#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests/postgres: bound to 127.0.0.1 only, in a temp dir, trust auth
# (nothing but this machine can reach it), removed by `stop`.
#
#   eval "$(tests/postgres/local_postgres.sh start)"   # exports DATABASE_URL_TEST and COVERAGE_HOOKS_PG_DIR
#   tests/postgres/local_postgres.sh stop "$COVERAGE_HOOKS_PG_DIR"
#
# Installs Debian's `postgresql` when no initdb is found (needs root). PostgreSQL refuses to run as
# root, so when started by root the cluster runs as the `postgres` user the package creates.
# Everything except the final `export` lines goes to stderr, so `eval` only sees the exports.
set -euo pipefail

find_bin() {
    local found
    found=$(command -v "$1" 2>/dev/null || true)
    if [ -z "$found" ]; then
        found=$(ls -1 /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1 || true)
    fi
    echo "$found"
}

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    if [ -z "$(find_bin initdb)" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "initdb not found and not root: install PostgreSQL (apt-get install postgresql)" >&2
            exit 1
        fi
        echo "installing Debian postgresql" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi
    local initdb pg_ctl createdb dir port
    initdb=$(find_bin initdb)
    pg_ctl=$(find_bin pg_ctl)
    createdb=$(find_bin createdb)
    dir=$(mktemp -d /tmp/coverage-hooks-pg.XXXXXX)
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on" start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$createdb" -h 127.0.0.1 -p "$port" -U postgres coverage_hooks_test >&2
    echo "PostgreSQL $("$pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)" >&2
    echo "export COVERAGE_HOOKS_PG_DIR=$dir"
    echo "export DATABASE_URL_TEST=postgresql://postgres@127.0.0.1:$port/coverage_hooks_test"
}

stop() {
    local dir=${1:?usage: local_postgres.sh stop DIR}
    case "$dir" in /tmp/coverage-hooks-pg.*) ;; *) echo "refusing to remove $dir" >&2; exit 1 ;; esac
    as_owner "$(find_bin pg_ctl)" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) shift; stop "$@" ;;
    *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
