#!/bin/sh
# pg_autoctl keeps its pidfile in $XDG_RUNTIME_DIR (or /tmp/pg_autoctl/<pgdata>/ when that is
# unset). Both live in the container's filesystem, which survives `docker kill` + `docker start`:
# the restarted pg_autoctl would find its own old pidfile and exit ("already running with pid N").
# Nothing of a previous run of this container can still be alive here, so the pidfiles go.
set -e
rm -rf /tmp/pg_autoctl
if [ -n "${XDG_RUNTIME_DIR:-}" ]; then
  rm -rf "${XDG_RUNTIME_DIR:?}"/* 2>/dev/null || true
  mkdir -p "$XDG_RUNTIME_DIR"
fi
exec "$@"
