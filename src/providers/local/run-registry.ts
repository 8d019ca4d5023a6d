import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Every process the harness starts carries this variable with the run's id. Children
 * inherit it, including ones that leave the process group (postgres backends call
 * setsid), so /proc tells exactly which processes a run owns, even after a SIGKILL
 * of the harness itself.
 */
export const RUN_MARKER_ENV = 'CHAOS_HARNESS_RUN';

export function recordsDir(): string {
  return join(process.env.CHAOS_HARNESS_STATE_DIR ?? join(tmpdir(), 'chaos-harness-runs'));
}

interface RunRecord {
  runId: string;
  harnessPid: number;
  harnessStartTicks: string | undefined;
  dirs: string[];
  createdAt: string;
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks. Tells a reused pid from ours. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces; fields after the last ')' are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

/** Pids of live processes whose environment carries RUN_MARKER_ENV=runId (any runId if undefined). */
export function markedProcesses(runId?: string): { pid: number; runId: string }[] {
  const out: { pid: number; runId: string }[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  const prefix = `${RUN_MARKER_ENV}=`;
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    for (const kv of environ.split('\0')) {
      if (kv.startsWith(prefix)) {
        const id = kv.slice(prefix.length);
        if (runId === undefined || id === runId) out.push({ pid, runId: id });
        break;
      }
    }
  }
  return out;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** SIGKILL every process marked with runId; waits (bounded) until they are gone. Returns the pids killed. */
export async function killMarked(runId: string, timeoutMs = 5000): Promise<number[]> {
  const victims = markedProcesses(runId).map((p) => p.pid);
  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && markedProcesses(runId).some((p) => !isZombie(p.pid))) await sleep(20);
  return victims;
}

/**
 * The on-disk record of a live run. Written before anything is started, removed after
 * teardown. A record whose harness is gone means that run was SIGKILLed: the next run
 * kills its processes and removes its directories.
 */
export class RunRegistry {
  readonly runId: string;
  readonly #file: string;
  readonly #record: RunRecord;

  constructor(runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`) {
    this.runId = runId;
    mkdirSync(recordsDir(), { recursive: true });
    this.#file = join(recordsDir(), `${runId}.json`);
    this.#record = {
      runId,
      harnessPid: process.pid,
      harnessStartTicks: processStartTicks(process.pid),
      dirs: [],
      createdAt: new Date().toISOString(),
    };
    this.#save();
  }

  /** A directory to remove if this run dies without tearing down. */
  addDir(dir: string): void {
    this.#record.dirs.push(dir);
    this.#save();
  }

  #save(): void {
    writeFileSync(this.#file, JSON.stringify(this.#record, null, 2));
  }

  /** Kill leftovers of this run and remove its record (call last in teardown). */
  async close(): Promise<number[]> {
    const leaked = await killMarked(this.runId);
    for (const d of this.#record.dirs) rmSync(d, { recursive: true, force: true });
    try {
      unlinkSync(this.#file);
    } catch {
      // already removed
    }
    return leaked;
  }
}

/** Clean up after runs whose harness died (SIGKILL, power loss). Returns what was cleaned. */
export async function cleanupStaleRuns(
  log?: (m: string) => void,
): Promise<{ runId: string; killed: number[] }[]> {
  const cleaned: { runId: string; killed: number[] }[] = [];
  let files: string[];
  try {
    files = readdirSync(recordsDir()).filter((f) => f.endsWith('.json'));
  } catch {
    return cleaned;
  }
  for (const f of files) {
    const path = join(recordsDir(), f);
    let rec: RunRecord;
    try {
      rec = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    const alive =
      rec.harnessStartTicks !== undefined && processStartTicks(rec.harnessPid) === rec.harnessStartTicks;
    if (alive) continue;
    const killed = await killMarked(rec.runId);
    for (const d of rec.dirs) rmSync(d, { recursive: true, force: true });
    rmSync(path, { force: true });
    log?.(
      `cleaned up after interrupted run ${rec.runId}: ${killed.length} process(es) killed, ${rec.dirs.length} dir(s) removed`,
    );
    cleaned.push({ runId: rec.runId, killed });
  }
  return cleaned;
}
