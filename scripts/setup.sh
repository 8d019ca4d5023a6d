#!/usr/bin/env bash
# Installs what the harness and its tests need on a Debian 12 machine: the real servers
# the local provider runs (PostgreSQL 15 + pg_auto_failover, Redis + Sentinel, HAProxy)
# and the npm dependencies (better-sqlite3 compiles from source here, ~1 min).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(postgresql-15 postgresql-15-auto-failover pg-auto-failover-cli redis-server redis-sentinel haproxy)
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
  # npm ci refuses a lockfile that lacks other platforms' optional binaries (biome, rollup,
  # esbuild builds for macOS/Windows), and a registry mirror without them cannot produce one.
  # Then install from the same lockfile without rewriting it: still one install per run.
  ci_err=$(mktemp)
  trap 'rm -f "$ci_err"' EXIT
  if ! npm ci --no-audit --no-fund 2>"$ci_err"; then
    if grep -q 'EUSAGE' "$ci_err"; then
      echo "setup: npm ci refused the lockfile (optional binaries of other platforms missing); npm install --no-save"
      npm install --no-save --no-audit --no-fund
    else
      cat "$ci_err" >&2
      exit 1
    fi
  fi
else
  echo "setup: node_modules is up to date"
fi
