#!/usr/bin/env bash
# Install Debian's Chromium and its WebDriver for the report's browser test
# (tests/report/test_report_browser.py), non-interactively.
# Idempotent: does nothing when /usr/bin/chromium is already there.
# Quiet: apt's output is kept in a log that is printed only when a step fails.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    exit 0
fi

# Needs root for apt-get; use sudo when it is available and we are not root.
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo -n)
    else
        echo "chromium.sh: must run as root (or with sudo) to install chromium" >&2
        exit 1
    fi
fi

log=$(mktemp "${TMPDIR:-/tmp}/chromium-install.XXXXXX.log")
trap 'rm -f "$log"' EXIT

run() {
    if ! "$@" >>"$log" 2>&1; then
        echo "chromium.sh: failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
}

export DEBIAN_FRONTEND=noninteractive
run "${sudo[@]}" apt-get update -q
run "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium chromium-driver

if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    echo "chromium.sh: apt-get finished but /usr/bin/chromium or /usr/bin/chromedriver is missing" >&2
    cat "$log" >&2
    exit 1
fi
