// StartedService views of the cluster's processes. Roles are asked from the monitor each time,
// because a failover changes them behind the harness's back.

import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint, StartedService, TargetSelector } from '../../src/core/types.js';

/** What a service view needs of a cluster, local processes or containers alike. */
export interface PgNodeControl {
  roleOf(node: string, signal?: AbortSignal): Promise<string>;
  /** "pid 4242" or "container 3f2a1b9c04d1"; undefined when not running. */
  serviceId(node: string): string | undefined;
  running(node: string): boolean;
  killNode(node: string): Promise<unknown>;
  signal(node: string, sig: NodeJS.Signals): boolean | Promise<boolean>;
  stopNode(node: string, graceMs?: number): Promise<void>;
  pauseNode(node: string): Promise<void>;
  resumeNode(node: string): Promise<void>;
  startNode(node: string, signal?: AbortSignal): Promise<void>;
  waitReady(node: string, signal?: AbortSignal): Promise<void>;
  /** Host path of the node's data directory; undefined where the host cannot reach it (containers). */
  pgdata(node: string): string | undefined;
}

export class PgService implements StartedService {
  readonly name: string;
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  readonly #cluster: PgNodeControl;

  /** `port`: what clients use (the node's proxy with viaProxy); `directPort`: the real port. */
  constructor(cluster: PgNodeControl, name: string, port: number, directPort = port) {
    this.#cluster = cluster;
    this.name = name;
    this.endpoints =
      directPort === port
        ? { postgres: { host: '127.0.0.1', port } }
        : { postgres: { host: '127.0.0.1', port }, direct: { host: '127.0.0.1', port: directPort } };
  }

  role(signal?: AbortSignal): Promise<string | undefined> {
    return this.#cluster.roleOf(this.name, signal);
  }

  id(): string | undefined {
    return this.#cluster.serviceId(this.name);
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
    await this.#cluster.signal(this.name, signal);
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    await this.#cluster.signal(this.name, sig);
  }

  stop(graceMs?: number): Promise<void> {
    return this.#cluster.stopNode(this.name, graceMs);
  }

  pause(): Promise<void> {
    return this.#cluster.pauseNode(this.name);
  }

  resume(): Promise<void> {
    return this.#cluster.resumeNode(this.name);
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
  envName = 'postgres-ha',
): Promise<StartedService> {
  if (target.service !== undefined) {
    const s = services.get(target.service);
    if (!s) {
      throw new HarnessError(
        'NO_SUCH_SERVICE',
        `${envName} has no service "${target.service}" (has: ${[...services.keys()].join(', ')})`,
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
    `${envName} has no service with role "${role}" now (${seen.join(', ')})`,
  );
}
