// How a node that was started again came back: by pg_rewind, by a full pg_basebackup after
// pg_rewind failed, or by plain restart (a standby catching up). Read from the part of its
// pg_autoctl log written since it was started.

import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface Rejoin {
  method: 'pg_rewind' | 'pg_basebackup' | 'restart';
  /** Why pg_rewind failed (its error or the FATAL it printed), for pg_basebackup. */
  reason?: string;
  /** pg_rewind's verdict: "no rewind required" or "rewound". */
  rewind?: string;
}

export function rejoinFromLog(log: string): Rejoin {
  if (/Failed to rewind/.test(log)) {
    const reason =
      /FATAL:\s*([^\n]+)/.exec(log)?.[1] ??
      /pg_rewind: (?:error|fatal): ([^\n]+)/.exec(log)?.[1] ??
      'see the node log';
    return { method: 'pg_basebackup', reason: reason.trim() };
  }
  // pg_autoctl relays pg_rewind's own output late and not always whole: its own line decides.
  if (/Rewinding PostgreSQL to follow new primary/.test(log)) {
    const rewind = /pg_rewind: (no rewind required|Done!)/.exec(log)?.[1];
    return { method: 'pg_rewind', rewind: rewind === 'Done!' ? 'rewound' : (rewind ?? 'rewound') };
  }
  if (/pg_basebackup: /.test(log)) return { method: 'pg_basebackup', reason: 'pg_rewind was not attempted' };
  return { method: 'restart' };
}

export function describeRejoin(node: string, r: Rejoin): string {
  if (r.method === 'pg_basebackup')
    return `${node} rejoined by full pg_basebackup: ${r.reason?.startsWith('pg_rewind') ? r.reason : `pg_rewind failed (${r.reason})`}`;
  if (r.method === 'pg_rewind') return `${node} rejoined by pg_rewind (${r.rewind})`;
  return `${node} rejoined by restarting as a standby (no rewind needed)`;
}

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The bytes of a log written after `from`. */
export function readFrom(file: string, from: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.max(0, size - from));
    readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
