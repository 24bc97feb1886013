#!/usr/bin/env bash
# Make sure a Chromium browser is on this machine, so the browser tests (tests/browser.py, marker
# `browser`) can drive it headless through Playwright. Prints the binary's path.
#
# Looks at $CONTESTBOT_CHROMIUM, then $CHROMIUM_DEFAULT (default /usr/bin/chromium), then
# `chromium` on PATH. When none is there, installs Debian's `chromium` package with apt-get (as
# root, or through sudo -n), then looks again. Playwright's own browser download (`playwright
# install`) is never used. Idempotent: a second run installs nothing and returns at once. Exits
# non-zero with a message saying what to do when it cannot.
#
# Environment: CONTESTBOT_CHROMIUM (a binary to use), CHROMIUM_DEFAULT (tests point it elsewhere).
set -euo pipefail

CHROMIUM_DEFAULT="${CHROMIUM_DEFAULT:-/usr/bin/chromium}"

is_executable() {
    [[ -n "$1" && -f "$1" && -x "$1" ]]
}

find_chromium() {
    local candidate candidates=()
    if [[ -n "${CONTESTBOT_CHROMIUM:-}" ]]; then
        candidates+=("$CONTESTBOT_CHROMIUM")
    fi
    candidates+=("$CHROMIUM_DEFAULT")
    if command -v chromium >/dev/null 2>&1; then
        candidates+=("$(command -v chromium)")
    fi
    for candidate in "${candidates[@]}"; do
        if is_executable "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

fail() {
    echo "ensure_chromium: $*" >&2
    exit 1
}

if [[ -n "${CONTESTBOT_CHROMIUM:-}" ]] && ! is_executable "$CONTESTBOT_CHROMIUM"; then
    echo "ensure_chromium: CONTESTBOT_CHROMIUM=$CONTESTBOT_CHROMIUM is not an executable file; looking elsewhere" >&2
fi

if chromium="$(find_chromium)"; then
    echo "$chromium"
    exit 0
fi

command -v apt-get >/dev/null 2>&1 \
    || fail "no Chromium found and apt-get is not available; install Chromium with your package manager, or set CONTESTBOT_CHROMIUM to a Chromium binary"

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 \
        || fail "no Chromium found; installing it needs root: run 'apt-get install chromium' as root, or this script with sudo"
    SUDO=(sudo -n)
fi

echo "ensure_chromium: no Chromium found; installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >&2 \
    || fail "apt-get update failed (as root, or through 'sudo -n', which needs passwordless sudo); check the network and the apt sources, or run 'apt-get install chromium' as root, then run this again"
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2 \
    || fail "apt-get install chromium failed; see the messages above"

chromium="$(find_chromium)" \
    || fail "installed chromium but still found no browser at $CHROMIUM_DEFAULT or on PATH; set CONTESTBOT_CHROMIUM"
echo "$chromium"
