// StartedService views of the cluster's processes. Roles are asked from the monitor each time,
// because a failover changes them behind the harness's back.

import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint, StartedService, TargetSelector } from '../../src/core/types.js';
import type { PgAutoFailoverCluster } from './cluster.js';

export class PgService implements StartedService {
  readonly name: string;
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  readonly dataPaths: Readonly<Record<string, string>>;
  readonly #cluster: PgAutoFailoverCluster;

  /** `port`: what clients use (the node's proxy with viaProxy); `directPort`: the real port. */
  constructor(cluster: PgAutoFailoverCluster, name: string, port: number, directPort = port) {
    this.#cluster = cluster;
    this.name = name;
    this.endpoints =
      directPort === port
        ? { postgres: { host: '127.0.0.1', port } }
        : { postgres: { host: '127.0.0.1', port }, direct: { host: '127.0.0.1', port: directPort } };
    this.dataPaths = { pgdata: cluster.pgdata(name) };
  }

  role(signal?: AbortSignal): Promise<string | undefined> {
    return this.#cluster.roleOf(this.name, signal);
  }

  id(): string | undefined {
    const pid = this.#cluster.pids(this.name).keeper;
    return pid === undefined ? undefined : `pid ${pid}`;
  }

  running(): boolean {
    return this.#cluster.running(this.name);
  }

  /** SIGKILL means a whole-node crash (keeper + postgres); other signals go to the group too. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (signal === 'SIGKILL') {
      if (this.running()) await this.#cluster.killNode(this.name);
      return;
    }
    this.#cluster.signal(this.name, signal);
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    this.#cluster.signal(this.name, sig);
  }

  stop(graceMs?: number): Promise<void> {
    return this.#cluster.stopNode(this.name, graceMs);
  }

  /** SIGSTOP reaches pg_autoctl and the postmaster; backends (own sessions) keep running but stall. */
  async pause(): Promise<void> {
    this.#cluster.signal(this.name, 'SIGSTOP');
  }

  async resume(): Promise<void> {
    this.#cluster.signal(this.name, 'SIGCONT');
  }

  start(signal?: AbortSignal): Promise<void> {
    return this.#cluster.startNode(this.name, signal);
  }

  async restart(signal?: AbortSignal): Promise<void> {
    await this.stop();
    await this.start(signal);
  }

  waitReady(signal?: AbortSignal): Promise<void> {
    return this.#cluster.waitReady(this.name, signal);
  }
}

/** By name, or the first service whose live role matches. */
export async function resolveService(
  services: ReadonlyMap<string, StartedService>,
  target: TargetSelector,
  signal?: AbortSignal,
): Promise<StartedService> {
  if (target.service !== undefined) {
    const s = services.get(target.service);
    if (!s) {
      throw new HarnessError(
        'NO_SUCH_SERVICE',
        `postgres-ha has no service "${target.service}" (has: ${[...services.keys()].join(', ')})`,
      );
    }
    return s;
  }
  const role = target.role ?? 'primary';
  const seen: string[] = [];
  for (const s of services.values()) {
    const r = await s.role(signal).catch((err: unknown) => `unknown (${(err as Error).message})`);
    if (r === role) return s;
    seen.push(`${s.name}=${r}`);
  }
  throw new HarnessError(
    'NO_SUCH_ROLE',
    `postgres-ha has no service with role "${role}" now (${seen.join(', ')})`,
  );
}
