// Process and file helpers of the local postgres-ha nodes.

import { existsSync, readFileSync } from 'node:fs';

/** True while a process exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** True while /proc has an entry at all, zombies included (what pidfile checks see). */
export function pidExists(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** The postmaster's pid from the first line of postmaster.pid, if the file exists. */
export function postmasterPid(pgdata: string): number | undefined {
  try {
    const first = readFileSync(`${pgdata}/postmaster.pid`, 'utf8').split('\n')[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Last lines of a log file, for error messages. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
