// A lock between processes on one file: `<file>.lock`, created exclusively, holding the owner's pid.
// A lock whose owner is gone (a SIGKILLed run) or that is older than STALE_MS is taken over.

import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { HarnessError } from '../core/errors.js';

const WAIT_MS = 10_000;
const STALE_MS = 30_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function ownerGone(lock: string): boolean {
  try {
    if (Date.now() - statSync(lock).mtimeMs > STALE_MS) return true;
    const pid = Number(readFileSync(lock, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Runs `fn` holding `lock`; waits up to 10 s for another holder to let go. */
export function withLockFile<T>(lock: string, fn: () => T): T {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (ownerGone(lock)) rmSync(lock, { force: true });
      else if (Date.now() > deadline)
        throw new HarnessError('IO_ERROR', `${lock} is still held after ${WAIT_MS / 1000} s`);
      else Atomics.wait(sleeper, 0, 0, 10);
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}
