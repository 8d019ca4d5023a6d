// The process side of a pg_auto_failover node: directories, spawning pg_autoctl as postgres,
// stopping, and sweeping what a crash leaves behind.

import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import { within } from '../../src/core/within.js';
import { heldResources, type Released, releaseResources } from '../../src/providers/local/held-resources.js';
import { lookupUser, ManagedProcess } from '../../src/providers/local/managed-process.js';
import {
  allProcesses,
  type ProcStat,
  signalAll,
  treeOf,
  waitAllGone,
} from '../../src/providers/local/process-tree.js';
import { logTail, pidExists, postmasterPid } from './pg-util.js';
import { autoctlEnv, HOST, PG_AUTOCTL, PG_BIN, PG_USER, type XdgDirs } from './settings.js';

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

/** What every process of a node shares: user postgres, a clean environment (no PGHOST), its log. */
function asPostgres(n: PgNode, dirs: XdgDirs, runId: string) {
  return {
    env: autoctlEnv(dirs),
    inheritEnv: false,
    cwd: dirs.home,
    user: PG_USER,
    logFile: n.logFile,
    runId,
  };
}

/** pg_autoctl as postgres in its own process group, with a clean environment (no PGHOST). */
export function spawnAutoctl(n: PgNode, args: string[], dirs: XdgDirs, runId: string): ManagedProcess {
  const proc = new ManagedProcess({
    name: `postgres-ha ${n.name}`,
    command: PG_AUTOCTL,
    args,
    ...asPostgres(n, dirs, runId),
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

/** `Database cluster state` of pg_controldata: `in production`, `shut down`, `in crash recovery`, ... */
export function controlState(pgdata: string): string | undefined {
  try {
    const out = execFileSync(`${PG_BIN}/pg_controldata`, [pgdata], {
      encoding: 'utf8',
      timeout: 5000,
      env: { LANG: 'C', LC_ALL: 'C' },
    });
    return /^Database cluster state:\s+(.+)$/m.exec(out)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

/**
 * Crash recovery of a crashed primary's data directory before pg_autoctl takes it back, the way
 * pg_autoctl itself does it (postgres in standby mode up to the first consistent point, so no
 * WAL is written and pg_rewind usually has nothing to rewind) but waiting until that postgres
 * has shut down. pg_autoctl SIGTERMs its recovery postgres and starts pg_rewind without waiting
 * for it to exit: pg_rewind then reads a control file that is not shut down yet and runs
 * `postgres --single` for it, which refuses the standby.signal ("FATAL: standby mode is not
 * supported by single-user servers"), and the node is rebuilt by a full pg_basebackup. Recovered
 * here, the directory is "shut down in recovery": pg_autoctl skips its step and pg_rewind runs
 * on it directly. Standbys (standby.signal present) and clean directories are left alone.
 * Resolves to the time it took, or undefined when nothing had to be done.
 */
export async function recoverCrashedPrimary(
  n: PgNode,
  dirs: XdgDirs,
  runId: string,
  timeoutMs = 60_000,
): Promise<number | undefined> {
  const standbySignal = join(n.pgdata, 'standby.signal');
  if (existsSync(standbySignal) || existsSync(join(n.pgdata, 'recovery.signal'))) return undefined;
  const before = controlState(n.pgdata);
  if (before === undefined || before.startsWith('shut down')) return undefined;
  const t0 = performance.now();
  writeFileSync(standbySignal, '');
  const ids = process.getuid?.() === 0 ? lookupUser(PG_USER) : undefined;
  if (ids) chownSync(standbySignal, ids.uid, ids.gid);
  const socketFits = join(dirs.runtime, `.s.PGSQL.${n.port}.lock`).length < 100;
  const proc = new ManagedProcess({
    name: `postgres-ha ${n.name} crash recovery`,
    command: `${PG_BIN}/postgres`,
    // No clients, no replication, no sockets: replay to the first consistent point, then shut down.
    args: [
      '-D',
      n.pgdata,
      '-p',
      String(n.port),
      // postgres needs one socket: a unix one in the node's private runtime dir when its path fits.
      ...(socketFits
        ? ['listen_addresses=', `unix_socket_directories=${dirs.runtime}`]
        : [`listen_addresses=${HOST}`, 'unix_socket_directories=']
      ).flatMap((kv) => ['-c', kv]),
      ...['hot_standby=on', 'primary_conninfo=', 'archive_mode=off'].flatMap((kv) => ['-c', kv]),
    ],
    ...asPostgres(n, dirs, runId),
  });
  try {
    proc.start();
    // Consistent (the WAL in pg_wal replayed) once postmaster.pid says "ready": then a fast
    // shutdown, which leaves the directory "shut down in recovery", and wait for it to end.
    const deadline = Date.now() + timeoutMs;
    // The crashed postmaster's pidfile says "ready" too: only this process's own counts.
    const isReady = () => proc.running && postmasterStatus(n.pgdata, proc.pid) === 'ready';
    while (proc.running && !isReady() && Date.now() < deadline) await sleep(20);
    const ready = isReady();
    const exit = await proc.stop(10_000, 'SIGINT');
    const after = controlState(n.pgdata);
    if (!after?.startsWith('shut down')) {
      if (proc.spawnError) throw proc.spawnError;
      throw new HarnessError(
        'RECOVERY_FAILED',
        `postgres-ha ${n.name}: crash recovery of ${n.pgdata} ` +
          (ready
            ? `ended with code ${exit.code} (signal ${exit.signal})`
            : `was not consistent within ${timeoutMs}ms (exit code ${exit.code}, signal ${exit.signal})`) +
          `; cluster state "${before}" -> "${after}"; last lines of ${n.logFile}:\n${logTail(n.logFile)}`,
      );
    }
  } finally {
    rmSync(standbySignal, { force: true });
  }
  return performance.now() - t0;
}

/** Line 8 of postmaster.pid (`starting`, `ready`, `stopping`, `standby`) when line 1 is `pid`. */
function postmasterStatus(pgdata: string, pid: number | undefined): string | undefined {
  try {
    const lines = readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
    return Number(lines[0]) === pid ? lines[7]?.trim() : undefined;
  } catch {
    return undefined;
  }
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
  const pictured = nodeProcesses(n);
  const held = await heldResources(pictured.map((p) => p.pid));
  // The picture took a while (read asynchronously, not to stall the probes): pg_autoctl may have
  // forked since, and a child left alive would start postgres again. Kill the node as it is now.
  const now = nodeProcesses(n);
  const procs = [...now, ...pictured.filter((p) => !now.some((q) => q.pid === p.pid))];
  signalAll(procs, 'SIGCONT');
  signalAll(procs, 'SIGKILL');
  // A child pg_autoctl forked just before it died is an orphan now, outside the tree: one that was
  // about to exec postgres would start it on the dead node's data ("postmaster.pid already exists"
  // for the restarted node later). Kill whatever still runs on this pgdata until nothing does.
  for (let round = 0; round < 20; round++) {
    const stray = strayProcesses(n.pgdata, procs);
    if (stray.length === 0 && round > 0) break;
    signalAll(stray, 'SIGKILL');
    procs.push(...stray);
    await sleep(25);
  }
  await n.proc?.exited;
  await waitAllGone(procs, 5000);
  return releaseResources(held, new Set(procs.map((p) => p.pid)));
}

/** Live processes (not yet in `known`, not zombies) whose command line names this pgdata. */
function strayProcesses(pgdata: string, known: readonly ProcStat[]): ProcStat[] {
  const seen = new Set(known.map((p) => p.pid));
  return allProcesses().filter(
    (p) => !seen.has(p.pid) && p.state !== 'Z' && p.pid !== process.pid && cmdline(p.pid).includes(pgdata),
  );
}

/**
 * SIGTERM to pg_autoctl only (it stops postgres in fast mode), SIGKILL to the node's processes
 * after graceMs; then whatever the processes left behind (after a SIGKILL) is released.
 */
export async function stopPgNode(n: PgNode, graceMs: number): Promise<Released> {
  const proc = n.proc;
  const procs = nodeProcesses(n);
  const held = await heldResources(procs.map((p) => p.pid));
  if (proc?.running) {
    proc.signal('SIGCONT');
    // SIGTERM to the whole group would also reach the postmaster, whose smart shutdown waits for clients.
    proc.signal('SIGTERM', { group: false });
    await within(proc.exited, graceMs, undefined);
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
