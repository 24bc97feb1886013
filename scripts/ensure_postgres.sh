#!/usr/bin/env bash
# Make sure PostgreSQL server binaries (initdb, pg_ctl, postgres) are on this machine, so the test
# suite can start a throwaway server (tests/db_fixture.py). Prints the binaries' directory.
#
# Looks at $CONTESTBOT_PG_BINDIR, `pg_config --bindir`, the newest /usr/lib/postgresql/*/bin and
# PATH. When none has them, installs Debian's `postgresql` package with apt-get (as root, or
# through sudo), then looks again. Idempotent: a second run installs nothing. Exits non-zero with
# a message saying what to do when it cannot.
#
# Environment: CONTESTBOT_PG_BINDIR (a directory to use), PG_LIB_ROOT (default
# /usr/lib/postgresql; tests point it elsewhere).
set -euo pipefail

PG_LIB_ROOT="${PG_LIB_ROOT:-/usr/lib/postgresql}"

has_server_binaries() {
    [[ -n "$1" && -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" ]]
}

find_bindir() {
    local dir candidates=()
    if [[ -n "${CONTESTBOT_PG_BINDIR:-}" ]]; then
        candidates+=("$CONTESTBOT_PG_BINDIR")
    fi
    if command -v pg_config >/dev/null 2>&1; then
        candidates+=("$(pg_config --bindir 2>/dev/null || true)")
    fi
    if [[ -d "$PG_LIB_ROOT" ]]; then
        # Newest major version first.
        while IFS= read -r dir; do
            candidates+=("$dir")
        done < <(find "$PG_LIB_ROOT" -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V -r)
    fi
    if command -v initdb >/dev/null 2>&1; then
        candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
    fi
    for dir in "${candidates[@]}"; do
        if has_server_binaries "$dir"; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

fail() {
    echo "ensure_postgres: $*" >&2
    exit 1
}

if bindir="$(find_bindir)"; then
    echo "$bindir"
    exit 0
fi

command -v apt-get >/dev/null 2>&1 \
    || fail "no PostgreSQL server binaries found and apt-get is not available; install PostgreSQL 13 or newer with your package manager, or set CONTESTBOT_PG_BINDIR to the directory holding initdb and pg_ctl"

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 \
        || fail "no PostgreSQL server binaries found; installing them needs root: run 'apt-get install postgresql' as root, or this script with sudo"
    SUDO=(sudo -n)
fi

echo "ensure_postgres: no PostgreSQL server binaries found; installing Debian's postgresql package" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >&2 \
    || fail "apt-get update failed; check the network and the apt sources, then run this again"
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends postgresql >&2 \
    || fail "apt-get install postgresql failed; see the messages above"

bindir="$(find_bindir)" \
    || fail "installed postgresql but still found no initdb/pg_ctl under $PG_LIB_ROOT or on PATH; set CONTESTBOT_PG_BINDIR"
echo "$bindir"
