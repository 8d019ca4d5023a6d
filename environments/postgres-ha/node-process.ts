// The process side of a pg_auto_failover node: directories, spawning pg_autoctl as postgres,
// stopping, and sweeping what a crash leaves behind.

import { chownSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import { heldResources, type Released, releaseResources } from '../../src/providers/local/held-resources.js';
import { lookupUser, ManagedProcess } from '../../src/providers/local/managed-process.js';
import { type ProcStat, signalAll, treeOf, waitAllGone } from '../../src/providers/local/process-tree.js';
import { logTail, pidExists, postmasterPid } from './pg-util.js';
import { autoctlEnv, PG_AUTOCTL, PG_USER, type XdgDirs } from './settings.js';

export interface PgNode {
  name: string;
  kind: 'monitor' | 'data';
  port: number;
  pgdata: string;
  logFile: string;
  proc: ManagedProcess | undefined;
}

/** Creates the per-run HOME and XDG dirs, owned by postgres when the harness is root. */
export function prepareDirs(workDir: string, runDir: string, dirs: readonly string[]): void {
  const ids = process.getuid?.() === 0 ? lookupUser(PG_USER) : undefined;
  if (ids) assertTraversable(workDir, ids.uid);
  for (const d of dirs) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (ids) chownSync(d, ids.uid, ids.gid);
  }
  mkdirSync(runDir, { recursive: true });
}

/** postgres must reach its data directory through every parent of the work dir. */
function assertTraversable(dir: string, uid: number): void {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = statSync(d);
    if (st.uid !== uid && (st.mode & 0o001) === 0) {
      const mode = (st.mode & 0o777).toString(8);
      throw new HarnessError(
        'INVALID_INPUT',
        `postgres-ha: user ${PG_USER} cannot enter ${d} (mode ${mode})`,
      );
    }
    if (d === dirname(d)) return;
  }
}

/** pg_autoctl as postgres in its own process group, with a clean environment (no PGHOST). */
export function spawnAutoctl(n: PgNode, args: string[], dirs: XdgDirs, runId: string): ManagedProcess {
  const proc = new ManagedProcess({
    name: `postgres-ha ${n.name}`,
    command: PG_AUTOCTL,
    args,
    env: autoctlEnv(dirs),
    inheritEnv: false,
    cwd: dirs.home,
    user: PG_USER,
    logFile: n.logFile,
    runId,
  });
  proc.start();
  n.proc = proc;
  return proc;
}

export function assertRunning(n: PgNode): void {
  if (n.proc?.running) return;
  const exit = n.proc?.lastExit;
  throw new HarnessError(
    'PROCESS_EXITED',
    `postgres-ha ${n.name}: pg_autoctl exited (code ${exit?.code}, signal ${exit?.signal}); ` +
      `last lines of ${n.logFile}:\n${logTail(n.logFile)}`,
  );
}

/**
 * pg_autoctl and postgres refuse to start while the pid in their pidfile exists, zombies
 * included; an orphaned postmaster is reaped by PID 1 only every ~2 s. Bounded: after
 * timeoutMs the pid is assumed reused and the start is attempted anyway.
 */
export async function waitOldPostmasterGone(
  n: PgNode,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const old = postmasterPid(n.pgdata);
  const deadline = Date.now() + timeoutMs;
  while (old !== undefined && pidExists(old) && Date.now() < deadline && !signal?.aborted) await sleep(50);
}

/**
 * The node's processes now: pg_autoctl and everything below it, and the postmaster named by
 * postmaster.pid when it serves this pgdata (one left by an earlier keeper). Postgres backends
 * call setsid(), so a group signal does not reach them: teardown and crashes use this list.
 */
export function nodeProcesses(n: PgNode): ProcStat[] {
  const roots: number[] = [];
  if (n.proc?.pid !== undefined) roots.push(n.proc.pid);
  const pm = postmasterPid(n.pgdata);
  if (pm !== undefined && cmdline(pm).includes(n.pgdata)) roots.push(pm);
  return treeOf(roots);
}

/**
 * SIGKILL every process of the node at once (a machine dying), then release what the kernel
 * keeps after such a death: postgres' SysV segment, pg_autoctl's semaphore, the /dev/shm
 * segments and the unix socket and its lock file. A crashed machine loses them too.
 */
export async function crashPgNode(n: PgNode): Promise<Released> {
  const procs = nodeProcesses(n);
  const held = heldResources(procs.map((p) => p.pid));
  signalAll(procs, 'SIGCONT');
  signalAll(procs, 'SIGKILL');
  await n.proc?.exited;
  await waitAllGone(procs, 5000);
  return releaseResources(held, new Set(procs.map((p) => p.pid)));
}

/**
 * SIGTERM to pg_autoctl only (it stops postgres in fast mode), SIGKILL to the node's processes
 * after graceMs; then whatever the processes left behind (after a SIGKILL) is released.
 */
export async function stopPgNode(n: PgNode, graceMs: number): Promise<Released> {
  const proc = n.proc;
  const procs = nodeProcesses(n);
  const held = heldResources(procs.map((p) => p.pid));
  if (proc?.running) {
    proc.signal('SIGCONT');
    // SIGTERM to the whole group would also reach the postmaster, whose smart shutdown waits for clients.
    proc.signal('SIGTERM', { group: false });
    await Promise.race([proc.exited, sleep(graceMs)]);
  }
  // pg_autoctl waits for its postgres before it exits; what is alive now is stuck or orphaned.
  if (!(await waitAllGone(procs, proc?.running ? 0 : 3000))) {
    signalAll(procs, 'SIGCONT');
    signalAll(procs, 'SIGKILL');
    await proc?.exited;
    await waitAllGone(procs, 5000);
  }
  return releaseResources(held, new Set(procs.map((p) => p.pid)));
}

export function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
