import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../core/errors.js';
import {
  describeReleased,
  type HeldResources,
  heldResources,
  nothingHeld,
  type Released,
  releaseResources,
} from './held-resources.js';
import {
  allProcesses,
  isGone,
  type ProcStat,
  procStat,
  startedAtOrAfter,
  withDescendants,
} from './process-tree.js';

/**
 * Every process the harness starts carries this variable with the run's id. Children
 * inherit it, including ones that leave the process group (postgres backends call
 * setsid). A server may overwrite its environment with its process title (Redis does),
 * so the run record also names every process the harness spawned (see recordSpawn).
 */
export const RUN_MARKER_ENV = 'CHAOS_HARNESS_RUN';

export function recordsDir(): string {
  return join(process.env.CHAOS_HARNESS_STATE_DIR ?? join(tmpdir(), 'chaos-harness-runs'));
}

/** A process the harness spawned: pid, its start time (to tell a reused pid) and its group. */
export interface RecordedProcess {
  pid: number;
  startTicks: string;
  pgid: number;
  name: string;
}

interface RunRecord {
  runId: string;
  harnessPid: number;
  harnessStartTicks: string | undefined;
  dirs: string[];
  processes: RecordedProcess[];
  createdAt: string;
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks. Tells a reused pid from ours. */
export function processStartTicks(pid: number): string | undefined {
  return procStat(pid)?.startTicks;
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

/**
 * Live processes of a run: every recorded process whose start ticks still match, the members
 * of its process group started since, the marked ones, and all their descendants. A recorded
 * pid that now belongs to another process is never included, nor is its group: Linux does not
 * reuse a pid while a group of that id exists, so a reused leader means our group is gone.
 */
export function runProcesses(runId: string, recorded: readonly RecordedProcess[]): Set<number> {
  const procs = allProcesses();
  const byPid = new Map<number, ProcStat>(procs.map((p) => [p.pid, p]));
  const roots = new Set<number>();
  const groups = new Map<number, string>();
  for (const r of recorded) {
    const now = byPid.get(r.pid);
    if (now && now.startTicks !== r.startTicks) continue;
    if (now) roots.add(r.pid);
    const earlier = groups.get(r.pgid);
    if (earlier === undefined || Number(r.startTicks) < Number(earlier)) groups.set(r.pgid, r.startTicks);
  }
  for (const p of procs) {
    const since = groups.get(p.pgid);
    if (since !== undefined && startedAtOrAfter(p, since)) roots.add(p.pid);
  }
  for (const m of markedProcesses(runId)) roots.add(m.pid);
  const all = withDescendants(roots, procs);
  for (const pid of all) if (isGone(pid)) all.delete(pid);
  return all;
}

export interface KillResult {
  killed: number[];
  released: Released;
}

/**
 * SIGKILL every live process of a run (see runProcesses), wait (bounded) until they are gone,
 * then release the shared memory, semaphores, /dev/shm files and sockets they held.
 */
export async function killRun(
  runId: string,
  recorded: readonly RecordedProcess[],
  timeoutMs = 5000,
): Promise<KillResult> {
  const killed = new Set<number>();
  const held: HeldResources = nothingHeld();
  const deadline = Date.now() + timeoutMs;
  // Repeat until none is left: a process may fork between the picture and the kill.
  for (;;) {
    const left = runProcesses(runId, recorded);
    if (left.size === 0 || Date.now() >= deadline) break;
    const fresh = [...left].filter((p) => !killed.has(p));
    if (fresh.length > 0) {
      // Taken while they live: /proc no longer shows what a dead process held.
      const h = await heldResources(fresh);
      held.shm.push(...h.shm);
      held.sem.push(...h.sem);
      held.shmFiles.push(...h.shmFiles);
      held.sockets.push(...h.sockets);
    }
    for (const pid of fresh) {
      killed.add(pid);
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(20);
  }
  return { killed: [...killed], released: await releaseResources(held, killed) };
}

const openRegistries = new Map<string, RunRegistry>();
/** Every process spawned in this harness process, by run id (also without a RunRegistry, in tests). */
const spawned = new Map<string, RecordedProcess[]>();

/** Called by ManagedProcess for every spawn: the run's record names the process from now on. */
export function recordSpawn(runId: string, pid: number, name: string): void {
  const s = procStat(pid);
  if (!s) return;
  const p: RecordedProcess = { pid, startTicks: s.startTicks, pgid: s.pgid, name };
  const list = spawned.get(runId);
  if (list) list.push(p);
  else spawned.set(runId, [p]);
  openRegistries.get(runId)?.addProcess(p);
}

/** Live processes of a run started from this harness process: what teardown must leave empty. */
export function runLeftovers(runId: string): number[] {
  return [...runProcesses(runId, spawned.get(runId) ?? [])].sort((a, b) => a - b);
}

/** SIGKILL what is left of a run started from this harness process; returns the pids killed. */
export async function killMarked(runId: string, timeoutMs = 5000): Promise<number[]> {
  return (await killRun(runId, spawned.get(runId) ?? [], timeoutMs)).killed;
}

/** A directory outside the work dir (e.g. a short socket dir) to remove if the run dies. */
export function recordDir(runId: string, dir: string): void {
  openRegistries.get(runId)?.addDir(dir);
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
      processes: [],
      createdAt: new Date().toISOString(),
    };
    this.#save();
    openRegistries.set(runId, this);
  }

  /** A directory to remove if this run dies without tearing down. */
  addDir(dir: string): void {
    this.#record.dirs.push(dir);
    this.#save();
  }

  addProcess(p: RecordedProcess): void {
    this.#record.processes.push(p);
    this.#save();
  }

  #save(): void {
    // Written whole or not at all: a disk that fills mid-run must not leave a 0-byte record.
    const tmp = `${this.#file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.#record, null, 2));
      renameSync(tmp, this.#file);
    } catch (cause) {
      rmSync(tmp, { force: true });
      throw new HarnessError(
        'IO_ERROR',
        `could not write the run record ${this.#file}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }

  /** Kill leftovers of this run and remove its record (call last in teardown). */
  async close(): Promise<number[]> {
    const { killed } = await killRun(this.runId, this.#record.processes);
    openRegistries.delete(this.runId);
    spawned.delete(this.runId);
    for (const d of this.#record.dirs) rmSync(d, { recursive: true, force: true });
    try {
      unlinkSync(this.#file);
    } catch {
      // already removed
    }
    return killed;
  }
}

export interface CleanedRun {
  runId: string;
  killed: number[];
  released: Released;
  dirs: string[];
}

/** Clean up after runs whose harness died (SIGKILL, power loss). Returns what was cleaned. */
export async function cleanupStaleRuns(log?: (m: string) => void): Promise<CleanedRun[]> {
  const cleaned: CleanedRun[] = [];
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
    const { killed, released } = await killRun(rec.runId, rec.processes ?? []);
    for (const d of rec.dirs) rmSync(d, { recursive: true, force: true });
    rmSync(path, { force: true });
    const ipc = describeReleased(released);
    log?.(
      `cleaned up after interrupted run ${rec.runId}: ${killed.length} process(es) killed` +
        `${killed.length ? ` (${killed.join(', ')})` : ''}, ${rec.dirs.length} dir(s) removed` +
        `${ipc ? `, released ${ipc}` : ''}`,
    );
    cleaned.push({ runId: rec.runId, killed, released, dirs: rec.dirs });
  }
  return cleaned;
}
