#!/usr/bin/env bash
# Installs what the harness and its tests need on a Debian 12 machine: the real servers
# the local provider runs (PostgreSQL 15 + pg_auto_failover, Redis + Sentinel, HAProxy, nginx for
# the examples/ tutorial; the harness runs it itself, the system service is not needed;
# Chromium, in which the HTML report test opens report.html: nothing downloads a browser),
# the npm dependencies (better-sqlite3 compiles from source here, ~1 min), then what the
# containers provider needs (scripts/setup-containers.sh: Docker engine, base and
# environment images). Idempotent: a second run takes a few seconds.
#
# Usage: scripts/setup.sh [--local-only | --require-containers]
#   --local-only          skip the containers part (no Docker engine is installed or started)
#   --require-containers  fail when the containers part fails (CI); by default a failure there
#                         is reported and setup still succeeds, since the local provider works
set -euo pipefail
cd "$(dirname "$0")/.."

containers=auto
for arg in "$@"; do
  case "$arg" in
    --local-only) containers=skip ;;
    --require-containers) containers=require ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option '$arg' (expected --local-only or --require-containers)" >&2; exit 2 ;;
  esac
done

PACKAGES=(postgresql-15 postgresql-15-auto-failover pg-auto-failover-cli pgbackrest openssl redis-server redis-sentinel haproxy nginx-light libxml2-utils chromium)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages already installed"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (compiles better-sqlite3; about a minute on 2 cores)"
  # Exactly the locked tree: the lockfile carries every platform's optional binaries (biome,
  # rollup, esbuild), so npm ci works on Linux, macOS and Windows alike.
  npm ci --no-audit --no-fund
else
  echo "setup: node_modules is up to date"
fi

case "$containers" in
  skip) echo "setup: --local-only: skipping the containers provider's engine and images" ;;
  require) bash scripts/setup-containers.sh ;;
  auto)
    if ! bash scripts/setup-containers.sh; then
      echo "setup: the containers provider is NOT ready (see the lines above); the local provider is." >&2
      echo "setup: run 'bash scripts/setup-containers.sh' again once fixed; container tests skip until then." >&2
    fi
    ;;
esac
