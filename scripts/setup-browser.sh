#!/usr/bin/env bash
# Install the headless browser the report tests drive (tests/test_report_browser.py):
# Debian's `chromium` package at /usr/bin/chromium, driven by Playwright's Python client.
# Playwright's own browser download (`playwright install`) is never used.
#
# Usage: bash scripts/setup-browser.sh        (needs root or passwordless sudo for apt-get)
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "setup-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed at $CHROMIUM"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "setup-browser: $CHROMIUM is missing and this user cannot run apt-get (not root, no sudo);" \
         "install Debian's chromium package: apt-get install -y chromium" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-browser: $CHROMIUM is missing and apt-get is not available; install a Chromium" \
         "build at $CHROMIUM by other means" >&2
    exit 1
fi

start=$(date +%s)
echo "setup-browser: installing Debian's chromium package (apt-get) ..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
end=$(date +%s)

if [ ! -x "$CHROMIUM" ]; then
    echo "setup-browser: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
echo "setup-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium) in $((end - start)) s"
