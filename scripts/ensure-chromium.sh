#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests, installing
# it with apt-get when it is missing (the tests run as root on CI machines that
# start without it). Never downloads a browser build of its own: only Debian's
# package, which is all this machine's closed network reaches.
# Prints the browser's path on success.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
  echo "$CHROMIUM"
  exit 0
fi

fail() {
  echo "ensure-chromium: $1" >&2
  echo "ensure-chromium: install it by hand (as root: apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH" >&2
  exit 1
}

[ "$(id -u)" = "0" ] || fail "$CHROMIUM is missing and only root can install it"
command -v apt-get >/dev/null || fail "$CHROMIUM is missing and there is no apt-get to install it with"

echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt run (a parallel test worker, an unattended upgrade) may hold the
# lock: wait for it rather than failing.
apt-get -o DPkg::Lock::Timeout=300 update -q >&2 || fail "apt-get update failed"
apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends chromium >&2 || fail "apt-get install chromium failed"

[ -x "$CHROMIUM" ] || fail "the chromium package installed, but $CHROMIUM is not there"
echo "$CHROMIUM"
