// A pg_auto_failover formation (monitor + 2 or 3 data nodes) run as local processes.
// Every pg_autoctl is a detached ManagedProcess, so a whole-node crash is one group SIGKILL.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { HarnessError } from '../../src/core/errors.js';
import type { EmitEvent, LogFn } from '../../src/core/types.js';
import { describeReleased } from '../../src/providers/local/held-resources.js';
import type { PgConnection, PgEndpoint, PgNodePids, PgNodeState, PostgresController } from './controller.js';
import { formationHealthy, MonitorClient, roleFromState, settled } from './monitor.js';
import {
  assertRunning,
  crashPgNode,
  type PgNode,
  prepareDirs,
  recoverCrashedPrimary,
  spawnAutoctl,
  stopPgNode,
  tryKill,
  waitOldPostmasterGone,
} from './node-process.js';
import { isWritable, pidAlive, pollUntil, postmasterPid, queryOnce } from './pg-util.js';
import { describeRejoin, fileSize, readFrom, rejoinFromLog } from './rejoin.js';
import {
  checkBinaries,
  DEFAULT_STARTUP_GRACE_MS,
  FAST_MONITOR_SETTINGS,
  FAST_NODE_SETTINGS,
  HOST,
  PG_USER,
  type XdgDirs,
} from './settings.js';

const READY_TIMEOUT_MS = 60_000;

export interface ClusterConfig {
  nodes: number;
  fastFailover: boolean;
  runId: string;
  workDir: string;
  runDir: string;
  freePort(): Promise<number>;
  log: LogFn;
  /** Events for the report (how a node rejoined). */
  emit?: EmitEvent;
}

export class PgAutoFailoverCluster implements PostgresController {
  readonly nodes: readonly string[];
  readonly monitorUri: string;
  readonly baseDir: string;
  readonly #cfg: ClusterConfig;
  readonly #dirs: XdgDirs;
  readonly #monitor: PgNode;
  readonly #data = new Map<string, PgNode>();
  readonly #monitorClient: MonitorClient;

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
    this.#monitorClient = new MonitorClient(monitorPort);
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
    const d = this.#dirs;
    prepareDirs(this.#cfg.workDir, this.#cfg.runDir, [this.baseDir, d.home, d.config, d.data, d.runtime]);
    const m = this.#monitor;
    this.#spawn(m, ['create', 'monitor', ...this.#commonArgs(m), '--auth', 'trust', '--no-ssl', '--run']);
    await pollUntil('monitor accepting queries', () => this.#monitorReady(), { timeoutMs: 30_000, signal });
    if (this.#cfg.fastFailover) await this.#monitorClient.applySettings(FAST_MONITOR_SETTINGS);
    const [first, ...rest] = [...this.#data.values()];
    if (!first) throw new HarnessError('INVALID_INPUT', 'postgres-ha needs at least one data node');
    this.#spawn(first, this.#createNodeArgs(first));
    await this.#waitState(first, (s) => s.reportedState === 'single', signal, 30_000);
    if (this.#cfg.fastFailover) await this.#applyNodeSettings(first, signal);
    await this.query(first.name, 'checkpoint', [], signal);
    for (const n of rest) this.#spawn(n, this.#createNodeArgs(n));
    await this.waitHealthy(signal);
    if (this.#cfg.fastFailover) for (const n of rest) await this.#applyNodeSettings(n, signal);
    const graceMs = this.#cfg.fastFailover
      ? (FAST_MONITOR_SETTINGS['pgautofailover.startup_grace_period'] ?? DEFAULT_STARTUP_GRACE_MS)
      : DEFAULT_STARTUP_GRACE_MS;
    await this.#monitorClient.waitStartupGrace(graceMs, signal);
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

  primary(signal?: AbortSignal): Promise<PgEndpoint> {
    return this.#monitorClient.primary(signal);
  }

  async writablePrimary(signal?: AbortSignal): Promise<PgEndpoint | undefined> {
    const checks = this.nodes.map(async (name) => {
      const ok = await isWritable(this.connectionFor(name), { timeoutMs: 500, signal }).catch(() => false);
      return ok ? this.endpoint(name) : undefined;
    });
    return (await Promise.all(checks)).find((e) => e !== undefined);
  }

  states(signal?: AbortSignal): Promise<PgNodeState[]> {
    return this.#monitorClient.states(signal);
  }

  /** `primary`, `replica` (secondary), `monitor`, `stopped`, or the pg_auto_failover state while in transition. */
  async roleOf(node: string, signal?: AbortSignal): Promise<string> {
    const n = this.#node(node);
    if (!n.proc?.running) return 'stopped';
    if (n.kind === 'monitor') return 'monitor';
    const s = (await this.states(signal)).find((st) => st.name === node);
    return s ? roleFromState(s) : 'unknown';
  }

  pids(node: string): PgNodePids {
    const n = this.#node(node);
    const pm = postmasterPid(n.pgdata);
    return { keeper: n.proc?.pid, postmaster: pm !== undefined && pidAlive(pm) ? pm : undefined };
  }

  running(node: string): boolean {
    return this.#node(node).proc?.running ?? false;
  }

  serviceId(node: string): string | undefined {
    const pid = this.pids(node).keeper;
    return pid === undefined ? undefined : `pid ${pid}`;
  }

  /** SIGSTOP reaches pg_autoctl and the postmaster; backends (own sessions) keep running but stall. */
  async pauseNode(node: string): Promise<void> {
    this.signal(node, 'SIGSTOP');
  }

  async resumeNode(node: string): Promise<void> {
    this.signal(node, 'SIGCONT');
  }

  /** Signal a node's whole process group (pause, resume, kill). */
  signal(node: string, sig: NodeJS.Signals): boolean {
    return this.#node(node).proc?.signal(sig) ?? false;
  }

  async killNode(node: string): Promise<PgNodePids> {
    const n = this.#node(node);
    const pids = this.pids(node);
    if (!n.proc?.running) throw new HarnessError('INJECTION_FAILED', `postgres-ha ${node} is not running`);
    const released = describeReleased(await crashPgNode(n));
    if (released) this.#cfg.log(`postgres-ha: ${node} crashed; released what it held: ${released}`);
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
    if (n.proc?.running) return this.waitReady(node, signal);
    await waitOldPostmasterGone(n, 10_000, signal);
    const t0 = performance.now();
    const logFrom = fileSize(n.logFile);
    const recoveryMs =
      n.kind === 'data' ? await recoverCrashedPrimary(n, this.#dirs, this.#cfg.runId) : undefined;
    if (recoveryMs !== undefined) {
      this.#cfg.log(
        `postgres-ha: ${node} crash recovery before pg_autoctl run took ${Math.round(recoveryMs)} ms`,
      );
    }
    this.#spawn(n, ['run', '--pgdata', n.pgdata]);
    await this.waitReady(node, signal);
    if (n.kind !== 'data') return;
    const rejoin = rejoinFromLog(readFrom(n.logFile, logFrom));
    this.#cfg.emit?.('rejoin', describeRejoin(node, rejoin), {
      node,
      ...rejoin,
      ...(recoveryMs !== undefined ? { crashRecoveryMs: Math.round(recoveryMs) } : {}),
      startToReadyMs: Math.round(performance.now() - t0),
    });
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
    await this.#waitState(n, settled, signal);
  }

  async waitHealthy(signal: AbortSignal, timeoutMs = READY_TIMEOUT_MS): Promise<PgNodeState[]> {
    return pollUntil(
      'pg_auto_failover formation healthy (one primary, every other running node secondary)',
      async (s) => {
        const states = await this.states(s);
        return formationHealthy(
          states,
          this.nodes.filter((n) => this.running(n)),
        )
          ? states
          : undefined;
      },
      { timeoutMs, intervalMs: 100, signal },
    );
  }

  /** Stop one node: pg_autoctl stops postgres; SIGKILL to the group after graceMs. */
  async stopNode(node: string, graceMs = 5000): Promise<void> {
    const released = describeReleased(await stopPgNode(this.#node(node), graceMs));
    if (released) this.#cfg.log(`postgres-ha: ${node} stopped; released what it left: ${released}`);
  }

  /** Stop everything, kill what is left of this run's postgres processes, remove the data. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stopNode(n)));
    await this.stopNode(this.#monitor.name);
    await this.#monitorClient.end();
    await rm(this.baseDir, { recursive: true, force: true });
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
    const proc = spawnAutoctl(n, args, this.#dirs, this.#cfg.runId);
    this.#cfg.log(
      `postgres-ha: ${n.name} started (pid ${proc.pid}): pg_autoctl ${args.slice(0, 2).join(' ')}`,
    );
  }

  async #monitorReady(): Promise<true> {
    assertRunning(this.#monitor);
    return this.#monitorClient.ready();
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
        assertRunning(n);
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
