// A pg_auto_failover formation (monitor + 2 or 3 data nodes) run as local processes.
// Every pg_autoctl is a detached ManagedProcess, so a whole-node crash is one group SIGKILL.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from '../../src/core/errors.js';
import type { EmitEvent, LogFn } from '../../src/core/types.js';
import { describeReleased } from '../../src/providers/local/held-resources.js';
import type { PgKilled, PostgresController } from '../../src/stacks/postgres.js';
import { Formation, killedPids, type PgNodePids } from './formation.js';
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
import { pidAlive, postmasterPid } from './pg-util.js';
import { describeRejoin, fileSize, readFrom, rejoinFromLog } from './rejoin.js';
import { checkBinaries, HOST, type XdgDirs } from './settings.js';

const _READY_TIMEOUT_MS = 60_000;

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

export class PgAutoFailoverCluster extends Formation<PgNode> implements PostgresController {
  readonly baseDir: string;
  readonly #cfg: ClusterConfig;
  readonly #dirs: XdgDirs;

  private constructor(cfg: ClusterConfig, monitorPort: number, dataPorts: number[]) {
    const baseDir = join(cfg.workDir, 'postgres-ha');
    const node = (name: string, kind: PgNode['kind'], port: number): PgNode => ({
      name,
      kind,
      port,
      pgdata: join(baseDir, name),
      logFile: join(cfg.runDir, `postgres-ha-${name}.log`),
      proc: undefined,
    });
    super(
      node('monitor', 'monitor', monitorPort),
      dataPorts.map((port, i) => node(`node${i + 1}`, 'data', port)),
      cfg.fastFailover,
    );
    this.#cfg = cfg;
    this.baseDir = baseDir;
    const home = join(baseDir, 'home');
    this.#dirs = { home, config: join(home, 'config'), data: join(home, 'data'), runtime: join(home, 'run') };
  }

  static async create(cfg: ClusterConfig): Promise<PgAutoFailoverCluster> {
    checkBinaries();
    const monitorPort = await cfg.freePort();
    const dataPorts: number[] = [];
    for (let i = 0; i < cfg.nodes; i++) dataPorts.push(await cfg.freePort());
    return new PgAutoFailoverCluster(cfg, monitorPort, dataPorts);
  }

  override async start(signal: AbortSignal): Promise<void> {
    const d = this.#dirs;
    prepareDirs(this.#cfg.workDir, this.#cfg.runDir, [this.baseDir, d.home, d.config, d.data, d.runtime]);
    await super.start(signal);
  }

  pgdata(node: string): string {
    return this.node(node).pgdata;
  }

  pids(node: string): PgNodePids {
    const n = this.node(node);
    const pm = postmasterPid(n.pgdata);
    return { keeper: n.proc?.pid, postmaster: pm !== undefined && pidAlive(pm) ? pm : undefined };
  }

  running(node: string): boolean {
    return this.node(node).proc?.running ?? false;
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
    return this.node(node).proc?.signal(sig) ?? false;
  }

  async killNode(node: string): Promise<PgKilled> {
    const n = this.node(node);
    const pids = this.pids(node);
    if (!n.proc?.running) throw new HarnessError('INJECTION_FAILED', `postgres-ha ${node} is not running`);
    const released = describeReleased(await crashPgNode(n));
    if (released) this.#cfg.log(`postgres-ha: ${node} crashed; released what it held: ${released}`);
    return killedPids(pids);
  }

  async killPostmaster(node: string): Promise<PgKilled> {
    const { postmaster } = this.pids(node);
    if (postmaster === undefined) {
      throw new HarnessError(
        'INJECTION_FAILED',
        `postgres-ha ${node}: no running postmaster (postmaster.pid)`,
      );
    }
    tryKill(postmaster, 'SIGKILL');
    return killedPids({ keeper: undefined, postmaster }, 'postmaster');
  }

  /** Start a stopped or killed node with `pg_autoctl run` and wait until it is ready. */
  async startNode(node: string, signal?: AbortSignal): Promise<void> {
    const n = this.node(node);
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

  /** Stop one node: pg_autoctl stops postgres; SIGKILL to the group after graceMs. */
  async stopNode(node: string, graceMs = 5000): Promise<void> {
    const released = describeReleased(await stopPgNode(this.node(node), graceMs));
    if (released) this.#cfg.log(`postgres-ha: ${node} stopped; released what it left: ${released}`);
  }

  /** Stop everything, kill what is left of this run's postgres processes, remove the data. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stopNode(n)));
    await this.stopNode(this.monitor.name);
    await this.monitorClient.end();
    await rm(this.baseDir, { recursive: true, force: true });
  }

  protected launch(n: PgNode): void {
    if (n.kind === 'monitor')
      this.#spawn(n, ['create', 'monitor', ...this.#commonArgs(n), '--auth', 'trust', '--no-ssl', '--run']);
    else this.#spawn(n, this.#createNodeArgs(n));
  }

  protected assertRunning(n: PgNode): void {
    assertRunning(n);
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
}
