// The pg_auto_failover formation of cluster.ts, each pg_autoctl in its own container of
// chaos-harness/postgres on the run's network (containers provider). A container is a whole
// machine: `docker kill` (SIGKILL to tini, PID 1) ends the keeper and postgres together, and
// `docker start` boots it again with the same data, alias and published port.
//
// Ports: each container's postgres listens on a port P from ctx.freePort(), inside the container
// (`--pgport P`) and published on 127.0.0.1:P, so the nodes reach each other at <alias>:P and
// the harness (probes, monitor client, connectionFor) at 127.0.0.1:P, across restarts.

import { join } from 'node:path';
import { HarnessError } from '../../src/core/errors.js';
import type { EmitEvent, LogFn } from '../../src/core/types.js';
import type { ManagedContainer } from '../../src/providers/containers/managed-container.js';
import type { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import type { PgKilled, PostgresController } from '../../src/stacks/postgres.js';
import { Formation, type FormationNode, killedPids, type PgNodePids } from './formation.js';
import { logTail } from './pg-util.js';
import { describeRejoin, fileSize, readFrom, rejoinFromLog } from './rejoin.js';
import type { PgNodeControl } from './services.js';

export const PG_IMAGE = 'chaos-harness/postgres:latest';
/** PGDATA inside every container (the image's). Not reachable from the host. */
export const CONTAINER_PGDATA = '/var/lib/postgresql/data';

const _READY_TIMEOUT_MS = 60_000;
/** What the image's pg-crash-recover prints when it recovered a crashed primary. */
const CRASH_RECOVERY_LINE = /chaos-harness: crash recovery before pg_autoctl: .* in (\d+) ms[^\n]*/;

export interface ContainerClusterConfig {
  nodes: number;
  fastFailover: boolean;
  runDir: string;
  containers: ContainerRuntime;
  freePort(): Promise<number>;
  log: LogFn;
  emit?: EmitEvent;
}

interface CNode extends FormationNode {
  container: ManagedContainer;
  /** Read inside the container before the last kill or after the last start. */
  pids: PgNodePids;
}

export class PgContainerCluster extends Formation<CNode> implements PostgresController, PgNodeControl {
  readonly #cfg: ContainerClusterConfig;

  private constructor(cfg: ContainerClusterConfig, monitorPort: number, dataPorts: number[]) {
    const inNetworkMonitorUri = `postgres://autoctl_node@monitor:${monitorPort}/pg_auto_failover?sslmode=prefer`;
    const auth = ['--auth', 'trust', '--no-ssl', '--run'];
    const node = (name: string, kind: CNode['kind'], port: number): CNode => {
      const common = ['--pgdata', CONTAINER_PGDATA, '--pgport', String(port), '--hostname', name];
      // The same command creates the node on the first start and resumes it on every later one
      // (pg_autoctl create finds its state file and goes on to `run`). A data node first gets the
      // crash recovery of a crashed primary that the local cluster does before `pg_autoctl run`
      // (the image's pg-crash-recover; recoverCrashedPrimary in node-process.ts says why).
      const cmd =
        kind === 'monitor'
          ? ['pg_autoctl', 'create', 'monitor', ...common, ...auth]
          : [
              'pg-crash-recover',
              ...['pg_autoctl', 'create', 'postgres', ...common, '--name', name],
              ...['--monitor', inNetworkMonitorUri, ...auth],
            ];
      const logFile = join(cfg.runDir, `postgres-ha-${name}.log`);
      return {
        name,
        kind,
        port,
        logFile,
        pids: { keeper: undefined, postmaster: undefined },
        container: cfg.containers.container({ name, image: PG_IMAGE, cmd, ports: [port], logFile }),
      };
    };
    super(
      node('monitor', 'monitor', monitorPort),
      dataPorts.map((port, i) => node(`node${i + 1}`, 'data', port)),
      cfg.fastFailover,
    );
    this.#cfg = cfg;
  }

  static async create(cfg: ContainerClusterConfig): Promise<PgContainerCluster> {
    await cfg.containers.requireImages([PG_IMAGE]);
    const monitorPort = await cfg.freePort();
    const dataPorts: number[] = [];
    for (let i = 0; i < cfg.nodes; i++) dataPorts.push(await cfg.freePort());
    return new PgContainerCluster(cfg, monitorPort, dataPorts);
  }

  override async start(signal: AbortSignal): Promise<void> {
    await super.start(signal);
    for (const n of [this.monitor, ...this.data.values()]) await this.#readPids(n);
  }

  /** Server versions and the image, as the containers report them. */
  async versions(): Promise<Record<string, string>> {
    const run = async (argv: string[]) => (await this.monitor.container.exec(argv)).output.trim();
    const autoctl = await run(['pg_autoctl', '--version']);
    return {
      image: PG_IMAGE,
      imageId: this.#cfg.containers.images[PG_IMAGE] ?? 'unknown',
      postgres: await run(['postgres', '--version']),
      pgAutoctl: autoctl.split('\n')[0] ?? autoctl,
      pgAutoctlDetails: autoctl.split('\n').slice(1).join('; '),
    };
  }

  /** The data directory lives in the container only: nothing on the host may open it. */
  pgdata(_node: string): string | undefined {
    return undefined;
  }

  containerId(node: string): string | undefined {
    return this.node(node).container.containerId;
  }

  pids(node: string): PgNodePids {
    return { ...this.node(node).pids };
  }

  serviceId(node: string): string | undefined {
    return this.node(node).container.id();
  }

  running(node: string): boolean {
    return this.node(node).container.running;
  }

  /** To the container's main process: tini forwards it to pg_autoctl (SIGKILL ends the container). */
  signal(node: string, sig: NodeJS.Signals): Promise<boolean> {
    return this.node(node).container.signal(sig);
  }

  /** docker pause: the freezer stops every process of the node at once, backends included. */
  async pauseNode(node: string): Promise<void> {
    await this.node(node).container.pause();
  }

  async resumeNode(node: string): Promise<void> {
    await this.node(node).container.resume();
  }

  /** SIGKILL to the container's PID 1: keeper, postgres and every backend die at once. */
  async killNode(node: string): Promise<PgKilled> {
    const n = this.node(node);
    if (!n.container.running)
      throw new HarnessError('INJECTION_FAILED', `postgres-ha ${node} is not running`);
    const pids = await this.#readPids(n).catch(() => n.pids);
    const exit = await n.container.kill('SIGKILL');
    this.#cfg.log(
      `postgres-ha: ${node} container ${pids.container ?? ''} killed (exit code ${exit.code}, signal ${exit.signal})`,
    );
    return killedPids(pids);
  }

  /** kill -9 of the postmaster named by postmaster.pid, inside the container; the keeper stays. */
  async killPostmaster(node: string): Promise<PgKilled> {
    const n = this.node(node);
    const { postmaster } = n.container.running ? await this.#readPids(n) : n.pids;
    if (postmaster === undefined) {
      throw new HarnessError(
        'INJECTION_FAILED',
        `postgres-ha ${node}: no running postmaster (postmaster.pid)`,
      );
    }
    // kill is a shell builtin (the image has no procps).
    const r = await n.container.exec(['sh', '-c', `kill -9 ${postmaster}`]);
    if (r.exitCode !== 0) {
      throw new HarnessError(
        'INJECTION_FAILED',
        `postgres-ha ${node}: kill -9 ${postmaster} in the container failed (exit ${r.exitCode}): ${r.output.trim()}`,
      );
    }
    return killedPids({ ...n.pids, postmaster }, 'postmaster');
  }

  /** `docker start` of a stopped or killed node (the entrypoint clears stale pidfiles), then ready. */
  async startNode(node: string, signal?: AbortSignal): Promise<void> {
    const n = this.node(node);
    if (n.container.running) return this.waitReady(node, signal);
    const t0 = performance.now();
    const logFrom = fileSize(n.logFile);
    await this.#startContainer(n);
    await this.waitReady(node, signal);
    await this.#readPids(n).catch(() => undefined);
    if (n.kind !== 'data') return;
    const log = readFrom(n.logFile, logFrom);
    const recovery = CRASH_RECOVERY_LINE.exec(log);
    if (recovery) this.#cfg.log(`postgres-ha: ${node} ${recovery[0].replace(/^chaos-harness: /, '')}`);
    const rejoin = rejoinFromLog(log);
    this.#cfg.emit?.('rejoin', describeRejoin(node, rejoin), {
      node,
      ...rejoin,
      ...(recovery ? { crashRecoveryMs: Number(recovery[1]) } : {}),
      startToReadyMs: Math.round(performance.now() - t0),
    });
  }

  /** docker stop: SIGTERM reaches pg_autoctl through tini (it stops postgres), SIGKILL after graceMs. */
  async stopNode(node: string, graceMs = 5000): Promise<void> {
    await this.node(node).container.stop(graceMs);
  }

  /** Remove every container (their data goes with them); the runtime removes the network. */
  async stop(): Promise<void> {
    await Promise.all([...this.data.values(), this.monitor].map((n) => n.container.remove()));
    await this.monitorClient.end();
  }

  async #startContainer(n: CNode): Promise<void> {
    await n.container.start();
    if (n.container.startError) throw n.container.startError;
    this.#cfg.log(`postgres-ha: ${n.name} started in ${n.container.id()} (${PG_IMAGE}), port ${n.port}`);
  }

  /** pg_autoctl is tini's child; the postmaster is line 1 of postmaster.pid (both pids inside the container). */
  async #readPids(n: CNode): Promise<PgNodePids> {
    const r = await n.container.exec([
      'sh',
      '-c',
      `cat /proc/1/task/1/children; echo; head -n 1 ${CONTAINER_PGDATA}/postmaster.pid 2>/dev/null`,
    ]);
    const [keeper, postmaster] = r.output
      .split('\n')
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter((x) => Number.isInteger(x) && x > 0);
    n.pids = { keeper, postmaster, container: n.container.containerId?.slice(0, 12) };
    return { ...n.pids };
  }

  protected launch(n: CNode): Promise<void> {
    return this.#startContainer(n);
  }

  protected assertRunning(n: CNode): void {
    if (n.container.running) return;
    throw new HarnessError(
      'PROCESS_EXITED',
      `postgres-ha ${n.name}: its container is not running; last lines of ${n.logFile}:\n${logTail(n.logFile)}`,
    );
  }
}
