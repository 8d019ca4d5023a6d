#!/bin/sh
# Usage: pg-crash-recover <command...>: crash recovery of a crashed primary's $PGDATA, then exec
# the command (pg_autoctl). Same step as recoverCrashedPrimary in environments/postgres-ha/
# node-process.ts: pg_autoctl runs crash recovery itself before pg_rewind but does not wait for
# that postgres to exit, so pg_rewind can read a control file that is not shut down yet, run
# `postgres --single` (which refuses the standby.signal) and pg_autoctl falls back to a full
# pg_basebackup. Done here, the directory is "shut down in recovery" and pg_rewind runs on it.
# Standbys (standby.signal / recovery.signal), cleanly stopped and new directories are left alone.
set -e
D="${PGDATA:?PGDATA must be set}"
if [ -f "$D/PG_VERSION" ] && [ ! -f "$D/standby.signal" ] && [ ! -f "$D/recovery.signal" ]; then
  state=$(LC_ALL=C pg_controldata "$D" 2>/dev/null | sed -n 's/^Database cluster state: *//p')
  case "$state" in
    '' | 'shut down'*) ;;
    *)
      t0=$(date +%s%N)
      touch "$D/standby.signal"
      # No clients, no replication, no TCP: replay to the first consistent point, then shut down.
      opts="-c listen_addresses= -c unix_socket_directories=/tmp -c hot_standby=on -c primary_conninfo= -c archive_mode=off"
      rc=0
      pg_ctl -D "$D" -o "$opts" -w -t 60 -s start || rc=$?
      # Also after a failed start: nothing of this step may still run when pg_autoctl starts.
      pg_ctl -D "$D" -m fast -w -t 60 -s stop >/dev/null 2>&1 || true
      rm -f "$D/standby.signal"
      after=$(LC_ALL=C pg_controldata "$D" 2>/dev/null | sed -n 's/^Database cluster state: *//p')
      ms=$((($(date +%s%N) - t0) / 1000000))
      echo "chaos-harness: crash recovery before pg_autoctl: \"$state\" -> \"$after\" in ${ms} ms (pg_ctl start exit $rc)" >&2
      ;;
  esac
fi
exec "$@"
