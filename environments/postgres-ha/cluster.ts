// A pg_auto_failover formation (monitor + 2 or 3 data nodes) run as local processes.
// Every pg_autoctl is a detached ManagedProcess, so a whole-node crash is one group SIGKILL.

import { chownSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { HarnessError } from '../../src/core/errors.js';
import type { LogFn } from '../../src/core/types.js';
import { lookupUser, ManagedProcess } from '../../src/providers/local/managed-process.js';
import { markedProcesses } from '../../src/providers/local/run-registry.js';
import type { PgConnection, PgEndpoint, PgNodePids, PgNodeState, PostgresController } from './controller.js';
import {
  abortable,
  isWritable,
  logTail,
  pidAlive,
  pidExists,
  pollUntil,
  postmasterPid,
  queryOnce,
} from './pg-util.js';
import {
  autoctlEnv,
  checkBinaries,
  DEFAULT_STARTUP_GRACE_MS,
  FAST_MONITOR_SETTINGS,
  FAST_NODE_SETTINGS,
  HOST,
  PG_AUTOCTL,
  PG_USER,
  type XdgDirs,
} from './settings.js';

const PRIMARY_STATES = new Set(['single', 'wait_primary', 'primary']);
const READY_TIMEOUT_MS = 60_000;

interface PgNode {
  name: string;
  kind: 'monitor' | 'data';
  port: number;
  pgdata: string;
  logFile: string;
  proc: ManagedProcess | undefined;
}

export interface ClusterConfig {
  nodes: number;
  fastFailover: boolean;
  runId: string;
  workDir: string;
  runDir: string;
  freePort(): Promise<number>;
  log: LogFn;
}

export class PgAutoFailoverCluster implements PostgresController {
  readonly nodes: readonly string[];
  readonly monitorUri: string;
  readonly baseDir: string;
  readonly #cfg: ClusterConfig;
  readonly #dirs: XdgDirs;
  readonly #monitor: PgNode;
  readonly #data = new Map<string, PgNode>();
  readonly #monitorPool: pg.Pool;

  private constructor(cfg: ClusterConfig, monitorPort: number, dataPorts: number[]) {
    this.#cfg = cfg;
    this.baseDir = join(cfg.workDir, 'postgres-ha');
    const home = join(this.baseDir, 'home');
    this.#dirs = { home, config: join(home, 'config'), data: join(home, 'data'), runtime: join(home, 'run') };
    const node = (name: string, kind: PgNode['kind'], port: number): PgNode => ({
      name,
      kind,
      port,
      pgdata: join(this.baseDir, name),
      logFile: join(cfg.runDir, `postgres-ha-${name}.log`),
      proc: undefined,
    });
    this.#monitor = node('monitor', 'monitor', monitorPort);
    dataPorts.forEach((port, i) => {
      const n = node(`node${i + 1}`, 'data', port);
      this.#data.set(n.name, n);
    });
    this.nodes = [...this.#data.keys()];
    this.monitorUri = `postgres://autoctl_node@${HOST}:${monitorPort}/pg_auto_failover?sslmode=prefer`;
    this.#monitorPool = new pg.Pool({
      host: HOST,
      port: monitorPort,
      user: PG_USER,
      database: 'pg_auto_failover',
      max: 3,
      connectionTimeoutMillis: 1000,
      query_timeout: 2000,
      statement_timeout: 2000,
      idleTimeoutMillis: 5000,
      allowExitOnIdle: true,
    });
    // Idle clients error when the monitor is killed; the next query reconnects.
    this.#monitorPool.on('error', () => undefined);
  }

  static async create(cfg: ClusterConfig): Promise<PgAutoFailoverCluster> {
    checkBinaries();
    const monitorPort = await cfg.freePort();
    const dataPorts: number[] = [];
    for (let i = 0; i < cfg.nodes; i++) dataPorts.push(await cfg.freePort());
    return new PgAutoFailoverCluster(cfg, monitorPort, dataPorts);
  }

  /** Monitor first, then node1 until `single` + CHECKPOINT, then the standbys (pg_basebackup is fast then). */
  async start(signal: AbortSignal): Promise<void> {
    this.#prepareDirs();
    const m = this.#monitor;
    this.#spawn(m, ['create', 'monitor', ...this.#commonArgs(m), '--auth', 'trust', '--no-ssl', '--run']);
    await pollUntil('monitor accepting queries', () => this.#monitorReady(), { timeoutMs: 30_000, signal });
    if (this.#cfg.fastFailover) {
      for (const [k, v] of Object.entries(FAST_MONITOR_SETTINGS))
        await this.#monitorQuery(`alter system set ${k} = ${v}`);
      await this.#monitorQuery('select pg_reload_conf()');
    }
    const [first, ...rest] = [...this.#data.values()];
    if (!first) throw new HarnessError('INVALID_INPUT', 'postgres-ha needs at least one data node');
    this.#spawn(first, this.#createNodeArgs(first));
    await this.#waitState(first, (s) => s.reportedState === 'single', signal, 30_000);
    if (this.#cfg.fastFailover) await this.#applyNodeSettings(first, signal);
    await this.query(first.name, 'checkpoint', [], signal);
    for (const n of rest) this.#spawn(n, this.#createNodeArgs(n));
    await this.waitHealthy(signal);
    if (this.#cfg.fastFailover) for (const n of rest) await this.#applyNodeSettings(n, signal);
    await this.#waitStartupGrace(signal);
  }

  /**
   * The monitor decides no failover within startup_grace_period of its start: a crash injected
   * then would measure the grace period, not the failover. Ready means past it.
   */
  async #waitStartupGrace(signal: AbortSignal): Promise<void> {
    const graceMs = this.#cfg.fastFailover
      ? (FAST_MONITOR_SETTINGS['pgautofailover.startup_grace_period'] ?? DEFAULT_STARTUP_GRACE_MS)
      : DEFAULT_STARTUP_GRACE_MS;
    const rows = await this.#monitorQuery<{ ms: number }>(
      'select extract(epoch from now() - pg_postmaster_start_time())::float8 * 1000 as ms',
    );
    const leftMs = graceMs - (rows[0]?.ms ?? 0) + 200;
    if (leftMs > 0) await sleep(leftMs, undefined, { signal });
  }

  connectionFor(node: string): PgConnection {
    return { host: HOST, port: this.#node(node).port, user: PG_USER, database: 'postgres' };
  }

  endpoint(node: string): PgEndpoint {
    return { name: node, host: HOST, port: this.#node(node).port };
  }

  pgdata(node: string): string {
    return this.#node(node).pgdata;
  }

  /** A statement on one node through a fresh connection (bounded). */
  async query<R extends pg.QueryResultRow>(
    node: string,
    sql: string,
    params: readonly unknown[] = [],
    signal?: AbortSignal,
  ): Promise<R[]> {
    return queryOnce<R>(this.connectionFor(node), sql, params, { timeoutMs: 5000, signal });
  }

  async primary(signal?: AbortSignal): Promise<PgEndpoint> {
    const rows = await this.#monitorQuery<{ name: string; host: string; port: number }>(
      "select primary_name as name, primary_host as host, primary_port as port from pgautofailover.get_primary('default', 0)",
      [],
      signal,
    );
    const row = rows[0];
    if (!row) throw new HarnessError('NO_SUCH_ROLE', 'the pg_auto_failover monitor reports no primary');
    return { name: row.name, host: row.host, port: row.port };
  }

  async writablePrimary(signal?: AbortSignal): Promise<PgEndpoint | undefined> {
    const checks = this.nodes.map(async (name) => {
      const ok = await isWritable(this.connectionFor(name), { timeoutMs: 500, signal }).catch(() => false);
      return ok ? this.endpoint(name) : undefined;
    });
    return (await Promise.all(checks)).find((e) => e !== undefined);
  }

  async states(signal?: AbortSignal): Promise<PgNodeState[]> {
    const rows = await this.#monitorQuery<{
      name: string;
      host: string;
      port: number;
      rs: string;
      gs: string;
    }>(
      'select nodename as name, nodehost as host, nodeport as port, reportedstate::text as rs, goalstate::text as gs ' +
        'from pgautofailover.node order by nodeid',
      [],
      signal,
    );
    return rows.map((r) => ({
      name: r.name,
      host: r.host,
      port: r.port,
      reportedState: r.rs,
      goalState: r.gs,
    }));
  }

  /** `primary`, `replica` (secondary), `monitor`, `stopped`, or the pg_auto_failover state while in transition. */
  async roleOf(node: string, signal?: AbortSignal): Promise<string> {
    const n = this.#node(node);
    if (!n.proc?.running) return 'stopped';
    if (n.kind === 'monitor') return 'monitor';
    const s = (await this.states(signal)).find((st) => st.name === node);
    if (!s) return 'unknown';
    if (PRIMARY_STATES.has(s.reportedState) && PRIMARY_STATES.has(s.goalState)) return 'primary';
    if (s.reportedState === 'secondary' && s.goalState === 'secondary') return 'replica';
    return s.reportedState;
  }

  pids(node: string): PgNodePids {
    const n = this.#node(node);
    const pm = postmasterPid(n.pgdata);
    return { keeper: n.proc?.pid, postmaster: pm !== undefined && pidAlive(pm) ? pm : undefined };
  }

  running(node: string): boolean {
    return this.#node(node).proc?.running ?? false;
  }

  /** Signal a node's whole process group (pause, resume, kill). */
  signal(node: string, sig: NodeJS.Signals): boolean {
    return this.#node(node).proc?.signal(sig) ?? false;
  }

  async killNode(node: string): Promise<PgNodePids> {
    const n = this.#node(node);
    const pids = this.pids(node);
    if (!n.proc?.running) throw new HarnessError('INJECTION_FAILED', `postgres-ha ${node} is not running`);
    await n.proc.kill('SIGKILL');
    // The postmaster is in the keeper's group; this only matters if it was started some other way.
    if (pids.postmaster !== undefined && pidAlive(pids.postmaster)) tryKill(pids.postmaster, 'SIGKILL');
    return pids;
  }

  async killPostmaster(node: string): Promise<number> {
    const { postmaster } = this.pids(node);
    if (postmaster === undefined) {
      throw new HarnessError(
        'INJECTION_FAILED',
        `postgres-ha ${node}: no running postmaster (postmaster.pid)`,
      );
    }
    tryKill(postmaster, 'SIGKILL');
    return postmaster;
  }

  /** Start a stopped or killed node with `pg_autoctl run` and wait until it is ready. */
  async startNode(node: string, signal?: AbortSignal): Promise<void> {
    const n = this.#node(node);
    if (!n.proc?.running) {
      // pg_autoctl and postgres refuse to start while the pid in their pidfile exists, zombies
      // included; an orphaned postmaster is reaped by PID 1 only every ~2 s.
      const old = postmasterPid(n.pgdata);
      const deadline = Date.now() + 10_000;
      while (old !== undefined && pidExists(old) && Date.now() < deadline && !signal?.aborted)
        await sleep(50);
      this.#spawn(n, ['run', '--pgdata', n.pgdata]);
    }
    await this.waitReady(node, signal);
  }

  async restartNode(node: string, signal: AbortSignal): Promise<void> {
    await this.startNode(node, signal);
    await this.#waitState(
      this.#node(node),
      (s) => s.reportedState === 'secondary' && s.goalState === 'secondary',
      signal,
    );
    await this.waitHealthy(signal);
  }

  /** Monitor: answers queries. Data node: reported state equals goal state and is primary or secondary. */
  async waitReady(node: string, signal?: AbortSignal): Promise<void> {
    const n = this.#node(node);
    if (n.kind === 'monitor') {
      await pollUntil('monitor accepting queries', () => this.#monitorReady(), {
        timeoutMs: READY_TIMEOUT_MS,
        signal,
      });
      return;
    }
    const ready = (s: PgNodeState) =>
      s.reportedState === s.goalState &&
      (PRIMARY_STATES.has(s.reportedState) || s.reportedState === 'secondary');
    await this.#waitState(n, ready, signal);
  }

  async waitHealthy(signal: AbortSignal, timeoutMs = READY_TIMEOUT_MS): Promise<PgNodeState[]> {
    return pollUntil(
      'pg_auto_failover formation healthy (one primary, every other running node secondary)',
      async (s) => {
        const states = await this.states(s);
        const up = states.filter((st) => this.running(st.name));
        // A node that is starting may not have registered with the monitor yet.
        if (this.nodes.some((n) => this.running(n) && !up.some((st) => st.name === n))) return undefined;
        // With a standby up, only `primary` counts: in `wait_primary` the monitor will not fail
        // over (the standby may lack acknowledged writes), so a kill then would test nothing.
        const primaryState = (st: PgNodeState) =>
          up.length > 1 ? st.reportedState === 'primary' : PRIMARY_STATES.has(st.reportedState);
        const healthy =
          up.length > 0 &&
          up.filter(primaryState).length === 1 &&
          up.every((st) => st.reportedState === st.goalState) &&
          up.every((st) => primaryState(st) || st.reportedState === 'secondary');
        return healthy ? states : undefined;
      },
      { timeoutMs, intervalMs: 100, signal },
    );
  }

  /** Stop one node: SIGTERM to pg_autoctl only (it stops postgres fast), SIGKILL to the group after graceMs. */
  async stopNode(node: string, graceMs = 5000): Promise<void> {
    const n = this.#node(node);
    const proc = n.proc;
    const pm = postmasterPid(n.pgdata);
    if (proc?.running) {
      proc.signal('SIGCONT');
      proc.signal('SIGTERM', { group: false });
      const done = await Promise.race([proc.exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) await proc.kill('SIGKILL');
    }
    if (pm !== undefined) {
      const deadline = Date.now() + 3000;
      while (pidAlive(pm) && Date.now() < deadline) await sleep(50);
      if (pidAlive(pm)) tryKill(pm, 'SIGKILL');
    }
  }

  /** Stop everything, kill what is left of this run's postgres processes, remove the data. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stopNode(n)));
    await this.stopNode(this.#monitor.name);
    await Promise.race([this.#monitorPool.end().catch(() => undefined), sleep(2000)]);
    await this.#sweep();
    await rm(this.baseDir, { recursive: true, force: true });
  }

  /** Postgres backends call setsid(), so they can outlive a group kill by ~1 s: wait, then kill. */
  async #sweep(): Promise<void> {
    const leftovers = () =>
      markedProcesses(this.#cfg.runId)
        .map((p) => p.pid)
        .filter((pid) => /postgres|pg_autoctl/.test(cmdline(pid)));
    const deadline = Date.now() + 5000;
    let left = leftovers();
    while (left.length > 0 && Date.now() < deadline) {
      if (Date.now() > deadline - 3000) for (const pid of left) tryKill(pid, 'SIGKILL');
      await sleep(50);
      left = leftovers().filter(pidAlive);
    }
  }

  #node(name: string): PgNode {
    const n = name === this.#monitor.name ? this.#monitor : this.#data.get(name);
    if (!n)
      throw new HarnessError(
        'NO_SUCH_SERVICE',
        `postgres-ha has no node "${name}" (has: ${this.nodes.join(', ')})`,
      );
    return n;
  }

  #prepareDirs(): void {
    const ids = process.getuid?.() === 0 ? lookupUser(PG_USER) : undefined;
    if (ids) assertTraversable(this.#cfg.workDir, ids.uid);
    for (const d of [this.baseDir, this.#dirs.home, this.#dirs.config, this.#dirs.data, this.#dirs.runtime]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      if (ids) chownSync(d, ids.uid, ids.gid);
    }
    mkdirSync(this.#cfg.runDir, { recursive: true });
  }

  #commonArgs(n: PgNode): string[] {
    return ['--pgdata', n.pgdata, '--pgport', String(n.port), '--hostname', HOST, '--listen', HOST];
  }

  #createNodeArgs(n: PgNode): string[] {
    const auth = ['--auth', 'trust', '--no-ssl', '--run'];
    return [
      'create',
      'postgres',
      ...this.#commonArgs(n),
      '--name',
      n.name,
      '--monitor',
      this.monitorUri,
      ...auth,
    ];
  }

  #spawn(n: PgNode, args: string[]): void {
    const proc = new ManagedProcess({
      name: `postgres-ha ${n.name}`,
      command: PG_AUTOCTL,
      args,
      env: autoctlEnv(this.#dirs),
      inheritEnv: false,
      cwd: this.#dirs.home,
      user: PG_USER,
      logFile: n.logFile,
      runId: this.#cfg.runId,
    });
    proc.start();
    n.proc = proc;
    this.#cfg.log(
      `postgres-ha: ${n.name} started (pid ${proc.pid}): pg_autoctl ${args.slice(0, 2).join(' ')}`,
    );
  }

  #assertRunning(n: PgNode): void {
    if (n.proc?.running) return;
    const exit = n.proc?.lastExit;
    throw new HarnessError(
      'PROCESS_EXITED',
      `postgres-ha ${n.name}: pg_autoctl exited (code ${exit?.code}, signal ${exit?.signal}); ` +
        `last lines of ${n.logFile}:\n${logTail(n.logFile)}`,
    );
  }

  async #monitorReady(): Promise<true | undefined> {
    this.#assertRunning(this.#monitor);
    await this.#monitorQuery('select count(*) from pgautofailover.formation');
    return true;
  }

  async #monitorQuery<R extends pg.QueryResultRow>(
    sql: string,
    params: readonly unknown[] = [],
    signal?: AbortSignal,
  ): Promise<R[]> {
    const res = await abortable(this.#monitorPool.query<R>(sql, [...params]), signal);
    return res.rows;
  }

  async #waitState(
    n: PgNode,
    ok: (s: PgNodeState) => boolean,
    signal?: AbortSignal,
    timeoutMs = READY_TIMEOUT_MS,
  ) {
    await pollUntil(
      `postgres-ha ${n.name} ready`,
      async (s) => {
        this.#assertRunning(n);
        const st = (await this.states(s)).find((x) => x.name === n.name);
        return st && ok(st) ? st : undefined;
      },
      { timeoutMs, intervalMs: 100, signal },
    );
  }

  async #applyNodeSettings(n: PgNode, signal: AbortSignal): Promise<void> {
    for (const [k, v] of Object.entries(FAST_NODE_SETTINGS))
      await this.query(n.name, `alter system set ${k} = '${v}'`);
    await this.query(n.name, 'select pg_reload_conf()', [], signal);
  }
}

/** postgres must reach its data directory through every parent of the work dir. */
function assertTraversable(dir: string, uid: number): void {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = statSync(d);
    if (st.uid !== uid && (st.mode & 0o001) === 0) {
      throw new HarnessError(
        'INVALID_INPUT',
        `postgres-ha: user ${PG_USER} cannot enter ${d} (mode ${(st.mode & 0o777).toString(8)}); make it 0755`,
      );
    }
    if (d === dirname(d)) return;
  }
}

function tryKill(pid: number, sig: NodeJS.Signals): void {
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
