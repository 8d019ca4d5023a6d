// The replication pair as local processes, run as user postgres: initdb for node1, pg_basebackup
// from it for node2, each `postgres` a detached ManagedProcess (its own process group). A kill
// SIGKILLs every process of the node at once and releases what the kernel keeps after such a
// death (crashPgNode of postgres-ha, imported, not changed).

import { chownSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from '../../src/core/errors.js';
import {
  describeReleased,
  heldResources,
  releaseResources,
} from '../../src/providers/local/held-resources.js';
import { lookupUser, ManagedProcess } from '../../src/providers/local/managed-process.js';
import { waitAllGone } from '../../src/providers/local/process-tree.js';
import type { PgConnection, PgKilled } from '../../src/stacks/postgres.js';
import {
  crashPgNode,
  nodeProcesses,
  type PgNode,
  prepareDirs,
  stopPgNode,
} from '../postgres-ha/node-process.js';
import { logTail, pidAlive, postmasterPid } from '../postgres-ha/pg-util.js';
import {
  commonSettings,
  HOST,
  NODES,
  type NodeName,
  type PairConfig,
  PG_USER,
  PRIMARY,
  primaryConninfo,
  primarySettings,
  ReplicationPair,
  STANDBY,
  settingsArgs,
} from './pair.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface LocalPairConfig extends PairConfig {
  runId: string;
  workDir: string;
  runDir: string;
  ports: Record<NodeName, number>;
  /** Where node2's primary_conninfo points: the replication proxy's listen port. */
  replicationPort: number;
}

interface LocalNode extends PgNode {
  name: NodeName;
  /** Set while the harness itself stops the node: no promotion for that exit. */
  stopping: boolean;
}

export class LocalReplicationPair extends ReplicationPair {
  readonly baseDir: string;
  readonly #cfg: LocalPairConfig;
  readonly #nodes: Record<NodeName, LocalNode>;
  readonly #home: string;

  constructor(cfg: LocalPairConfig) {
    super(cfg);
    this.#cfg = cfg;
    this.baseDir = join(cfg.workDir, 'postgres-replication');
    this.#home = join(this.baseDir, 'home');
    const node = (name: NodeName): LocalNode => ({
      name,
      kind: 'data',
      port: cfg.ports[name],
      pgdata: join(this.baseDir, name),
      logFile: join(cfg.runDir, `postgres-replication-${name}.log`),
      proc: undefined,
      stopping: false,
    });
    this.#nodes = { node1: node('node1'), node2: node('node2') };
  }

  #node(node: string): LocalNode {
    return this.#nodes[this.name(node)];
  }

  connectionFor(node: string): PgConnection {
    return { host: HOST, port: this.#node(node).port, user: PG_USER, database: 'postgres' };
  }

  running(node: string): boolean {
    return this.#node(node).proc?.running ?? false;
  }

  serviceId(node: string): string | undefined {
    const pid = this.#node(node).proc?.pid;
    return pid === undefined ? undefined : `pid ${pid}`;
  }

  pgdata(node: string): string {
    return this.#node(node).pgdata;
  }

  /** initdb, primary up, pg_basebackup through the primary's real port, standby up and streaming. */
  async start(signal: AbortSignal): Promise<void> {
    prepareDirs(this.#cfg.workDir, this.#cfg.runDir, [this.baseDir, this.#home]);
    const n1 = this.#nodes.node1;
    await this.#runTool(n1, 'initdb', [
      '-D',
      n1.pgdata,
      '-U',
      PG_USER,
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await this.launch(PRIMARY);
    await this.waitReady(PRIMARY, signal);
    const n2 = this.#nodes.node2;
    // fast checkpoint: pg_basebackup otherwise waits for a spread one (~7 s).
    await this.#runTool(n2, 'pg_basebackup', [
      '-h',
      HOST,
      '-p',
      String(n1.port),
      '-U',
      PG_USER,
      '-D',
      n2.pgdata,
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ]);
    this.#asPostgres(join(n2.pgdata, 'standby.signal'), '');
    await this.launch(STANDBY);
    await this.waitReady(STANDBY, signal);
    await this.waitHealthy(signal);
  }

  #asPostgres(file: string, content: string): void {
    writeFileSync(file, content);
    const ids = process.getuid?.() === 0 ? lookupUser(PG_USER) : undefined;
    if (ids) chownSync(file, ids.uid, ids.gid);
  }

  async #runTool(n: LocalNode, tool: string, args: string[]): Promise<void> {
    const proc = new ManagedProcess({
      name: `postgres-replication ${n.name} ${tool}`,
      command: join(PG_BIN, tool),
      args,
      env: { PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: this.#home, LANG: 'C.UTF-8' },
      inheritEnv: false,
      cwd: this.#home,
      user: PG_USER,
      logFile: n.logFile,
      runId: this.#cfg.runId,
      debianPackage: 'postgresql-15',
    });
    proc.start();
    const exit = await proc.exited;
    if (proc.spawnError) throw proc.spawnError;
    if (exit.code !== 0) {
      throw new HarnessError(
        'NOT_READY',
        `postgres-replication ${n.name}: ${tool} exited with code ${exit.code} (signal ${exit.signal}); last lines of ${n.logFile}:\n${logTail(n.logFile)}`,
      );
    }
  }

  protected async launch(node: NodeName): Promise<void> {
    const n = this.#nodes[node];
    // An orphaned postmaster of an earlier life must be gone, or postgres refuses the pidfile.
    const old = postmasterPid(n.pgdata);
    for (let i = 0; old !== undefined && pidAlive(old) && i < 200; i++)
      await new Promise((r) => setTimeout(r, 50));
    const settings = {
      ...commonSettings(n.port),
      listen_addresses: HOST,
      unix_socket_directories: '',
      ...(node === PRIMARY ? primarySettings(this.cfg.replication) : {}),
      ...(node === STANDBY ? { primary_conninfo: primaryConninfo(HOST, this.#cfg.replicationPort) } : {}),
    };
    const proc = new ManagedProcess({
      name: `postgres-replication ${node}`,
      command: join(PG_BIN, 'postgres'),
      args: ['-D', n.pgdata, ...settingsArgs(settings)],
      env: { PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: this.#home, LANG: 'C.UTF-8' },
      inheritEnv: false,
      cwd: this.#home,
      user: PG_USER,
      logFile: n.logFile,
      runId: this.#cfg.runId,
      debianPackage: 'postgresql-15',
    });
    n.stopping = false;
    proc.onExit(() => {
      if (!n.stopping) this.onUnexpectedExit(node);
    });
    proc.start();
    n.proc = proc;
    if (proc.spawnError) throw proc.spawnError;
    this.cfg.log(`postgres-replication: ${node} started (pid ${proc.pid}) on port ${n.port}`);
  }

  /** SIGKILL to every process of the node at once (a machine dying), then release what it held. */
  async killNode(node: string): Promise<PgKilled> {
    const n = this.#node(node);
    const pid = n.proc?.pid;
    if (!n.proc?.running)
      throw new HarnessError('INJECTION_FAILED', `postgres-replication ${node} is not running`);
    const released = describeReleased(await crashPgNode(n));
    if (released) this.cfg.log(`postgres-replication: ${node} crashed; released what it held: ${released}`);
    return { what: `postmaster pid ${pid} and its children`, details: { postmasterPid: pid } };
  }

  async killPostmaster(node: string): Promise<PgKilled> {
    const n = this.#node(node);
    const pid = n.proc?.pid;
    if (!n.proc?.running || pid === undefined)
      throw new HarnessError('INJECTION_FAILED', `postgres-replication ${node} is not running`);
    const procs = nodeProcesses(n);
    const held = await heldResources(procs.map((p) => p.pid));
    n.proc.signal('SIGKILL', { group: false });
    await n.proc.exited;
    await waitAllGone(procs, 5000);
    const released = describeReleased(await releaseResources(held, new Set(procs.map((p) => p.pid))));
    if (released) this.cfg.log(`postgres-replication: ${node} postmaster killed; released: ${released}`);
    return { what: `postmaster pid ${pid}`, details: { postmasterPid: pid } };
  }

  signal(node: string, sig: NodeJS.Signals): boolean {
    return this.#node(node).proc?.signal(sig, { group: false }) ?? false;
  }

  /** Fast shutdown (SIGINT to the postmaster), SIGKILL to what is left after graceMs. */
  async stopNode(node: string, graceMs = 5000): Promise<void> {
    const n = this.#node(node);
    n.stopping = true;
    n.proc?.signal('SIGINT', { group: false });
    const released = describeReleased(await stopPgNode(n, graceMs));
    if (released) this.cfg.log(`postgres-replication: ${node} stopped; released what it left: ${released}`);
  }

  /** SIGSTOP to the postmaster's group; its children (own sessions) keep running. */
  async pauseNode(node: string): Promise<void> {
    this.#node(node).proc?.signal('SIGSTOP');
  }

  async resumeNode(node: string): Promise<void> {
    this.#node(node).proc?.signal('SIGCONT');
  }

  protected async teardown(): Promise<void> {
    // The standby first: a primary in sync mode would otherwise wait for it during shutdown.
    for (const n of [...NODES].reverse()) await this.stopNode(n);
    await rm(this.baseDir, { recursive: true, force: true });
  }
}
