// Binaries, process environment and failover settings of the pg_auto_failover cluster.

import { existsSync } from 'node:fs';
import { HarnessError } from '../../src/core/errors.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const PG_AUTOCTL = '/usr/bin/pg_autoctl';
const EXTENSION_CONTROL = '/usr/share/postgresql/15/extension/pgautofailover.control';
export const HOST = '127.0.0.1';
export const PG_USER = 'postgres';

/**
 * Monitor GUCs that make a whole-node crash fail over in ~1.5-3 s instead of ~51 s
 * (measured, see README.md). All are sighup, applied with ALTER SYSTEM before nodes join.
 */
export const FAST_MONITOR_SETTINGS: Readonly<Record<string, number>> = {
  'pgautofailover.health_check_period': 500,
  'pgautofailover.health_check_timeout': 500,
  'pgautofailover.health_check_max_retries': 1,
  'pgautofailover.health_check_retry_delay': 100,
  'pgautofailover.node_considered_unhealthy_timeout': 1000,
  'pgautofailover.primary_demote_timeout': 1000,
  // No failover is decided this long after the monitor's postgres started (default 10 s).
  'pgautofailover.startup_grace_period': 2000,
};

/** pg_auto_failover's default startup_grace_period, for the non-tuned variant. */
export const DEFAULT_STARTUP_GRACE_MS = 10_000;

/** Data-node GUCs: a standby retries streaming after 0.5 s instead of 5 s (sync rep blocks commits meanwhile). */
export const FAST_NODE_SETTINGS: Readonly<Record<string, string>> = {
  wal_retrieve_retry_interval: '500ms',
};

/** Each file the stack needs and the Debian package that provides it. */
export const REQUIRED_FILES: readonly (readonly [path: string, debianPackage: string])[] = [
  [PG_AUTOCTL, 'pg-auto-failover-cli'],
  [`${PG_BIN}/postgres`, 'postgresql-15'],
  [`${PG_BIN}/pg_ctl`, 'postgresql-15'],
  [EXTENSION_CONTROL, 'postgresql-15-auto-failover'],
];

/** Fails with the Debian package to install when a file of the stack is missing. */
export function checkBinaries(required = REQUIRED_FILES): void {
  for (const [path, pkg] of required) {
    if (!existsSync(path)) {
      throw new HarnessError(
        'BINARY_MISSING',
        `postgres-ha needs ${path}, which is missing: install the Debian package ${pkg} ` +
          '(apt-get install postgresql-15 postgresql-15-auto-failover pg-auto-failover-cli)',
      );
    }
  }
}

export interface XdgDirs {
  home: string;
  config: string;
  data: string;
  runtime: string;
}

/**
 * The whole environment of a pg_autoctl process. PGHOST must stay unset: pg_autoctl would
 * connect to it instead of postgres' compiled-in socket dir and loop forever. XDG_RUNTIME_DIR
 * must exist or pidfiles silently land in /tmp.
 */
export function autoctlEnv(dirs: XdgDirs): Record<string, string> {
  return {
    PATH: `${PG_BIN}:/usr/bin:/bin`,
    HOME: dirs.home,
    LANG: 'C.UTF-8',
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_RUNTIME_DIR: dirs.runtime,
  };
}
