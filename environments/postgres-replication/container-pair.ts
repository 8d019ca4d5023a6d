// The replication pair in containers of chaos-harness/postgres on the run's network (containers
// provider). node1 runs initdb then postgres; node2 runs pg_basebackup from node1 (at its network
// alias, directly) then postgres as a standby. Each listens on a port P from ctx.freePort(),
// inside its container and published on 127.0.0.1:P, where the harness reaches it.
//
// The replication link crosses the same fault proxy as locally: node2's primary_conninfo names
// the Docker bridge gateway and a port where a bridge forwarder on the host (the compose
// provider's) pipes into the proxy's loopback listener, whose upstream is node1's published port:
// node2 → gateway:F → 127.0.0.1:L (proxy replication-node2) → 127.0.0.1:P1 → node1.

import { HarnessError } from '../../src/core/errors.js';
import type { ManagedContainer } from '../../src/providers/containers/managed-container.js';
import type { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import type { PgConnection, PgKilled } from '../../src/stacks/postgres.js';
import { logTail } from '../postgres-ha/pg-util.js';
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
} from './pair.js';

export const PG_IMAGE = 'chaos-harness/postgres:latest';
export const CONTAINER_PGDATA = '/var/lib/postgresql/data';

export interface ContainerPairConfig extends PairConfig {
  containers: ContainerRuntime;
  runDir: string;
  ports: Record<NodeName, number>;
  /** host:port the standby's primary_conninfo names (the bridge forwarder into the proxy). */
  replicationAddress: { host: string; port: number };
}

/** A shell word in single quotes. */
const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export class ContainerReplicationPair extends ReplicationPair {
  readonly #cfg: ContainerPairConfig;
  readonly #containers: Record<NodeName, ManagedContainer>;
  readonly #stopping: Record<NodeName, boolean> = { node1: false, node2: false };

  constructor(cfg: ContainerPairConfig) {
    super(cfg);
    this.#cfg = cfg;
    const make = (name: NodeName): ManagedContainer => {
      const port = cfg.ports[name];
      const settings = {
        ...commonSettings(port),
        listen_addresses: '*',
        ...(name === PRIMARY ? primarySettings(cfg.replication) : {}),
        ...(name === STANDBY
          ? { primary_conninfo: primaryConninfo(cfg.replicationAddress.host, cfg.replicationAddress.port) }
          : {}),
      };
      const args = Object.entries(settings)
        .map(([k, v]) => `-c ${q(`${k}=${v}`)}`)
        .join(' ');
      const init =
        name === PRIMARY
          ? `initdb -D "$PGDATA" -U ${PG_USER} --auth=trust -E UTF8 --locale=C --no-sync`
          : `pg_basebackup -h ${PRIMARY} -p ${cfg.ports.node1} -U ${PG_USER} -D "$PGDATA" -X stream -c fast --no-sync && touch "$PGDATA/standby.signal"`;
      // Created on the first start, resumed on later ones. Nothing of an earlier life of this
      // container can be alive, so a stale postmaster.pid (after docker kill) goes.
      const script = `set -e; test -s "$PGDATA/PG_VERSION" || { ${init}; }; rm -f "$PGDATA/postmaster.pid"; chmod 0700 "$PGDATA"; exec postgres -D "$PGDATA" ${args}`;
      const c = cfg.containers.container({
        name,
        image: PG_IMAGE,
        cmd: ['sh', '-c', script],
        ports: [port],
        logFile: `${cfg.runDir}/postgres-replication-${name}.log`,
      });
      c.onExit(() => {
        if (!this.#stopping[name]) this.onUnexpectedExit(name);
      });
      return c;
    };
    this.#containers = { node1: make('node1'), node2: make('node2') };
  }

  static async create(cfg: ContainerPairConfig): Promise<ContainerReplicationPair> {
    await cfg.containers.requireImages([PG_IMAGE]);
    return new ContainerReplicationPair(cfg);
  }

  #c(node: string): ManagedContainer {
    return this.#containers[this.name(node)];
  }

  connectionFor(node: string): PgConnection {
    return { host: HOST, port: this.#cfg.ports[this.name(node)], user: PG_USER, database: 'postgres' };
  }

  running(node: string): boolean {
    return this.#c(node).running;
  }

  serviceId(node: string): string | undefined {
    return this.#c(node).id();
  }

  pgdata(_node: string): string | undefined {
    return undefined;
  }

  containerId(node: string): string | undefined {
    return this.#c(node).containerId?.slice(0, 12);
  }

  async versions(): Promise<Record<string, string>> {
    const r = await this.#containers.node1.exec(['postgres', '--version']);
    return {
      postgres: r.output.trim(),
      image: PG_IMAGE,
      imageId: this.#cfg.containers.images[PG_IMAGE] ?? 'unknown',
    };
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.launch(PRIMARY);
    await this.waitReady(PRIMARY, signal);
    await this.launch(STANDBY);
    await this.waitReady(STANDBY, signal);
    await this.waitHealthy(signal);
  }

  protected async launch(node: NodeName): Promise<void> {
    const c = this.#containers[node];
    this.#stopping[node] = false;
    await c.start();
    if (c.startError) throw c.startError;
    this.cfg.log(
      `postgres-replication: ${node} started in ${c.id()} (${PG_IMAGE}), port ${this.#cfg.ports[node]}`,
    );
  }

  override async waitReady(node: string, signal?: AbortSignal): Promise<void> {
    try {
      await super.waitReady(node, signal);
    } catch (err) {
      const log = this.#c(node).logFile;
      throw new HarnessError(
        'NOT_READY',
        `${(err as Error).message}; last lines of ${log}:\n${logTail(log)}`,
        { cause: err },
      );
    }
  }

  /** docker kill: SIGKILL to tini, so postgres and every backend die at once. */
  async killNode(node: string): Promise<PgKilled> {
    const c = this.#c(node);
    if (!c.running) throw new HarnessError('INJECTION_FAILED', `postgres-replication ${node} is not running`);
    const id = this.containerId(node);
    const exit = await c.kill('SIGKILL');
    this.cfg.log(
      `postgres-replication: ${node} container ${id} killed (exit ${exit.code}, signal ${exit.signal})`,
    );
    return { what: `container ${id}`, details: { container: id } };
  }

  /** kill -9 of the postmaster inside the container; tini then exits with it (the container ends). */
  async killPostmaster(node: string): Promise<PgKilled> {
    const c = this.#c(node);
    const r = await c.exec(['sh', '-c', `kill -9 "$(head -n 1 ${CONTAINER_PGDATA}/postmaster.pid)"`]);
    if (r.exitCode !== 0) {
      throw new HarnessError(
        'INJECTION_FAILED',
        `postgres-replication ${node}: kill -9 of the postmaster failed (exit ${r.exitCode}): ${r.output.trim()}`,
      );
    }
    return {
      what: `postmaster in container ${this.containerId(node)}`,
      details: { container: this.containerId(node) },
    };
  }

  signal(node: string, sig: NodeJS.Signals): Promise<boolean> {
    return this.#c(node).signal(sig);
  }

  /** SIGINT through tini (fast shutdown), then docker stop (SIGTERM, SIGKILL after graceMs). */
  async stopNode(node: string, graceMs = 5000): Promise<void> {
    const n = this.name(node);
    const c = this.#containers[n];
    this.#stopping[n] = true;
    if (!c.running) return;
    await c.signal('SIGINT');
    await Promise.race([c.exited, new Promise((r) => setTimeout(r, graceMs))]);
    await c.stop(graceMs);
  }

  async pauseNode(node: string): Promise<void> {
    await this.#c(node).pause();
  }

  async resumeNode(node: string): Promise<void> {
    await this.#c(node).resume();
  }

  protected async teardown(): Promise<void> {
    for (const n of NODES) this.#stopping[n] = true;
    await Promise.all(NODES.map((n) => this.#containers[n].remove()));
  }
}
