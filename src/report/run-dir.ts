// A run's report directory: unique by default, and never shared with a live run (two runs writing
// one directory would overwrite each other's report and interleave their service logs).

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HarnessError } from '../core/errors.js';
import { processStartTicks } from '../providers/local/run-registry.js';

const LOCK = '.chaos-harness-run.lock';

interface LockRecord {
  runId: string;
  pid: number;
  startTicks: string | undefined;
  scenario: string;
  startedAt: string;
}

export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** runs/<scenario>-<UTC timestamp>-<run id>: two runs started in the same second still differ. */
export function defaultRunDir(runsDir: string, scenario: string, runId: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z');
  return resolve(join(runsDir, `${scenario}-${stamp}-${runId}`));
}

function liveHolder(path: string): LockRecord | undefined {
  let rec: LockRecord;
  try {
    rec = JSON.parse(readFileSync(path, 'utf8')) as LockRecord;
  } catch {
    return undefined; // unreadable or half-written: nobody can prove they hold it
  }
  const alive = rec.startTicks !== undefined && processStartTicks(rec.pid) === rec.startTicks;
  return alive ? rec : undefined;
}

/**
 * Create `dir` and claim it for this run, or refuse (before anything starts) when a live run holds
 * it. A lock left by a dead run is taken over. Disposing the result releases the claim.
 */
export function claimRunDir(dir: string, runId: string, scenario: string): Disposable {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK);
  const rec: LockRecord = {
    runId,
    pid: process.pid,
    startTicks: processStartTicks(process.pid),
    scenario,
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(rec), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = liveHolder(path);
      if (holder) {
        throw new HarnessError(
          'OUT_DIR_IN_USE',
          `${dir} is in use by run ${holder.runId} of "${holder.scenario}" (pid ${holder.pid}, started ${holder.startedAt}); give another --out, or wait until that run ends`,
        );
      }
      unlinkSync(path);
    }
  }
  return {
    [Symbol.dispose]() {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}
