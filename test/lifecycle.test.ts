import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HeldResources, heldResources } from '../src/providers/local/held-resources.js';
import {
  allProcesses,
  type ProcStat,
  procStat,
  withDescendants,
} from '../src/providers/local/process-tree.js';
import { cleanupStaleRuns, markedProcesses } from '../src/providers/local/run-registry.js';
import { PROJECT_ROOT } from '../src/scenario/load.js';
import { type RunningCli, startCli } from '../src/testing/cli.js';
import { waitFor } from '../src/testing/wait.js';

const SCENARIO = join(PROJECT_ROOT, 'test/fixtures/scenarios/long-pause.yaml');
let stateDir: string;
let outDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'lifecycle-state-'));
  outDir = mkdtempSync(join(tmpdir(), 'lifecycle-out-'));
  process.env.CHAOS_HARNESS_STATE_DIR = stateDir;
});
afterEach(async () => {
  // A test that failed half-way must not leave its servers running.
  await cleanupStaleRuns();
  delete process.env.CHAOS_HARNESS_STATE_DIR;
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
});

function startRun(runId: string, scenario = SCENARIO): RunningCli {
  return startCli(['run', scenario, '--out', outDir], {
    CHAOS_HARNESS_RUN_ID: runId,
    CHAOS_HARNESS_STATE_DIR: stateDir,
  });
}

describe('a run interrupted in the middle of a fault', () => {
  it('tears everything down on SIGINT, writes an ERROR report and exits 2', async () => {
    const runId = 'lifecycle-sigint';
    const cli = startRun(runId);
    await waitFor('the fault to be injected', () => /inject: paused api/.test(cli.output()), 30_000);
    // The service is frozen (SIGSTOP) right now: teardown must still get rid of it.
    expect(markedProcesses(runId).length).toBeGreaterThan(0);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(2);
    expect(markedProcesses(runId)).toEqual([]);
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'));
    expect(report.verdict).toBe('error');
    expect(report.error.code).toBe('INTERRUPTED');
    expect(readdirSync(stateDir)).toEqual([]);
    expect(cli.output()).not.toMatch(/^\s+at /m);
  });

  it('tears everything down on SIGTERM too', async () => {
    const runId = 'lifecycle-sigterm';
    const cli = startRun(runId);
    await waitFor('the fault to be injected', () => /inject: paused api/.test(cli.output()), 30_000);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(2);
    expect(markedProcesses(runId)).toEqual([]);
  });

  it('leaves a record after SIGKILL that the next run uses to kill what was left and remove its dirs', async () => {
    const runId = 'lifecycle-sigkill';
    const cli = startRun(runId);
    await waitFor('the fault to be injected', () => /inject: paused api/.test(cli.output()), 30_000);
    cli.child.kill('SIGKILL');
    await cli.exited;
    // The harness could not clean up: its service is still there, and so is the record.
    expect(markedProcesses(runId).length).toBeGreaterThan(0);
    const record = JSON.parse(readFileSync(join(stateDir, `${runId}.json`), 'utf8'));
    expect(record.dirs.length).toBeGreaterThan(0);
    expect(existsSync(record.dirs[0])).toBe(true);

    const cleaned = await cleanupStaleRuns();
    expect(cleaned.map((c) => c.runId)).toEqual([runId]);
    expect(markedProcesses(runId)).toEqual([]);
    expect(existsSync(record.dirs[0])).toBe(false);
    expect(readdirSync(stateDir)).toEqual([]);
  });
});

/** TCP ports the processes listen on (/proc/net/tcp state 0A, matched by socket inode). */
function listeningPorts(pids: Iterable<number>): Set<number> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSafe(`/proc/${pid}/fd/${fd}`));
          if (m?.[1]) inodes.add(m[1]);
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // gone
    }
  }
  return tcpListeners((inode) => inodes.has(inode));
}

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

function tcpListeners(match: (inode: string) => boolean = () => true): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      const local = c[1];
      if (c[3] === '0A' && local && c[9] && match(c[9]))
        ports.add(Number.parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

function sysvIds(file: string): Set<number> {
  return new Set(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.trim().split(/\s+/)[1])),
  );
}

/** Everything a harness run owns, seen from outside: its process tree, marked processes, what they hold. */
interface RunPicture {
  procs: ProcStat[];
  /** Command lines, read while the processes lived. */
  titles: string[];
  ports: Set<number>;
  held: HeldResources;
  dirs: string[];
}

async function pictureOf(cliPid: number, runId: string): Promise<RunPicture> {
  const all = allProcesses();
  const pids = withDescendants([cliPid, ...markedProcesses(runId).map((m) => m.pid)], all);
  pids.delete(cliPid);
  const procs = all.filter((p) => pids.has(p.pid) && p.state !== 'Z');
  const record = JSON.parse(readFileSync(join(stateDir, `${runId}.json`), 'utf8')) as { dirs: string[] };
  const live = procs.map((p) => p.pid);
  return {
    procs,
    titles: live.map(readTitle),
    ports: listeningPorts(live),
    held: await heldResources(live),
    dirs: record.dirs,
  };
}

function stillAlive(procs: readonly ProcStat[]): ProcStat[] {
  return procs.filter((p) => {
    const now = procStat(p.pid);
    return now !== undefined && now.startTicks === p.startTicks && now.state !== 'Z';
  });
}

/**
 * SIGKILL the harness once the fault was injected; the next run's sweep must remove every
 * process, listening port, semaphore, shared-memory segment, socket and directory of it.
 */
async function killDuringFaultThenSweep(
  scenario: string,
  runId: string,
  expectAtLeast: { processes: number; ports: number },
) {
  const cli = startRun(runId, scenario);
  await waitFor(
    `${scenario}: the fault to be injected`,
    () => {
      if (cli.child.exitCode !== null) throw new Error(`the harness exited early:\n${cli.output()}`);
      return /\binject: /.test(cli.output()) ? true : undefined;
    },
    60_000,
  );
  const before = await pictureOf(cli.child.pid as number, runId);
  cli.child.kill('SIGKILL');
  await cli.exited;
  expect(before.procs.length).toBeGreaterThanOrEqual(expectAtLeast.processes);
  expect(before.ports.size).toBeGreaterThanOrEqual(expectAtLeast.ports);
  // Nothing cleaned up behind the harness's back: its servers outlive it (a short-lived helper may not).
  const survivors = stillAlive(before.procs);
  expect(survivors.length).toBeGreaterThanOrEqual(expectAtLeast.processes);

  const logs: string[] = [];
  const cleaned = await cleanupStaleRuns((m) => logs.push(m));
  expect(cleaned.map((c) => c.runId)).toEqual([runId]);
  expect(logs[0]).toMatch(
    new RegExp(`cleaned up after interrupted run ${runId}: \\d+ process\\(es\\) killed`),
  );
  // Survivors that were short-lived helpers may have exited on their own meanwhile; the servers did not.
  expect(cleaned[0]?.killed.length).toBeGreaterThanOrEqual(expectAtLeast.processes);

  expect(stillAlive(before.procs).map((p) => `${p.pid} ${p.startTicks}`)).toEqual([]);
  const listening = tcpListeners();
  expect([...before.ports].filter((p) => listening.has(p))).toEqual([]);
  const sems = sysvIds('/proc/sysvipc/sem');
  const shms = sysvIds('/proc/sysvipc/shm');
  expect(before.held.sem.filter((s) => sems.has(s.id))).toEqual([]);
  expect(before.held.shm.filter((s) => shms.has(s.id))).toEqual([]);
  expect(before.held.shmFiles.filter((f) => existsSync(f))).toEqual([]);
  expect(before.held.sockets.filter((f) => existsSync(f) || existsSync(`${f}.lock`))).toEqual([]);
  expect(before.dirs.length).toBeGreaterThan(0);
  expect(before.dirs.filter((d) => existsSync(d))).toEqual([]);
  expect(readdirSync(stateDir)).toEqual([]);
  return before;
}

describe('the sweep after a SIGKILL of the harness in the middle of a fault', () => {
  it('removes every Redis and Sentinel process and port, though Redis rewrites its environment', async () => {
    const before = await killDuringFaultThenSweep('redis-primary-down', 'lifecycle-kill-redis', {
      processes: 5,
      ports: 5,
    });
    // 2 surviving data nodes + 3 sentinels (the master was just killed by the fault).
    expect(before.titles.filter((t) => /redis-server/.test(t)).length).toBeGreaterThanOrEqual(5);
  });

  it('removes every Redis Cluster node and port', async () => {
    const before = await killDuringFaultThenSweep(
      'redis-cluster-master-down',
      'lifecycle-kill-redis-cluster',
      {
        processes: 5,
        // Client and bus ports of the 5 surviving nodes.
        ports: 10,
      },
    );
    expect(before.titles.filter((t) => /redis-server.*\[cluster\]/.test(t)).length).toBeGreaterThanOrEqual(5);
  });

  it('removes every postgres process, port, semaphore, shared-memory segment, socket and dir', async () => {
    const before = await killDuringFaultThenSweep('postgres-primary-down', 'lifecycle-kill-postgres', {
      processes: 10,
      // The monitor and the surviving node; the killed node's port is closed already.
      ports: 2,
    });
    // The monitor and the surviving node still run: pg_autoctl semaphores and postgres' SysV
    // segment and sockets exist, so the assertions above were about something.
    expect(before.held.sem.length).toBeGreaterThanOrEqual(2);
    expect(before.held.shm.length).toBeGreaterThanOrEqual(2);
    expect(before.held.sockets.length).toBeGreaterThanOrEqual(2);
  });

  it('removes the deploy pipeline, both slots and HAProxy', async () => {
    await killDuringFaultThenSweep('deploy-failure', 'lifecycle-kill-deploy', { processes: 3, ports: 2 });
  });
});

function readTitle(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
