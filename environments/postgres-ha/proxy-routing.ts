// viaProxy: one fault-proxy proxy per data node (named after the node) in front of its real port.
// Only client traffic crosses it: `connectionFor(node)` (what workloads use) returns the proxy's
// address, while the harness's own checks (writable-primary probing, the monitor, the keepers,
// replication between nodes) keep using the real ports, so a network fault slows or cuts the
// clients without blinding the harness or changing what pg_auto_failover sees.
import { Toxiproxy } from 'toxiproxy-node-client';
import {
  type FaultProxyRouting,
  type StartedFaultProxy,
  startFaultProxy,
  staticRouting,
} from '../../src/proxy/index.js';
import type {
  PgConnection,
  PgEndpoint,
  PgKilled,
  PgNodeState,
  PostgresController,
} from '../../src/stacks/postgres.js';
import { HOST } from './settings.js';

export interface NodeProxies extends AsyncDisposable {
  /** The running fault proxy (its API URL is in `routing.apiUrl`). */
  readonly proxy: StartedFaultProxy;
  /** What the network injectors look up: service `nodeN` → proxy `nodeN`. */
  readonly routing: FaultProxyRouting;
  /** Node name → the proxy's listen port (the client port). */
  readonly clientPorts: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/** Starts the fault proxy and one proxy per node: `HOST:<fresh port>` → `HOST:<real port>`. */
export async function startNodeProxies(
  nodes: readonly { name: string; port: number }[],
  freePort: () => Promise<number>,
): Promise<NodeProxies> {
  const proxy = await startFaultProxy({ apiPort: 0 });
  try {
    const api = new Toxiproxy(proxy.apiUrl);
    const clientPorts = new Map<string, number>();
    const routes: Record<string, string[]> = {};
    for (const n of nodes) {
      const listen = await freePort();
      await api.createProxy({ name: n.name, listen: `${HOST}:${listen}`, upstream: `${HOST}:${n.port}` });
      clientPorts.set(n.name, listen);
      routes[n.name] = [n.name];
    }
    return {
      proxy,
      routing: staticRouting(proxy.apiUrl, routes),
      clientPorts,
      close: () => proxy.close(),
      [Symbol.asyncDispose]: () => proxy.close(),
    };
  } catch (err) {
    await proxy.close();
    throw err;
  }
}

/**
 * The cluster's controller with `connectionFor` pointing at the proxies. Everything else is the
 * cluster's own method, which reaches nodes through their real ports (the cluster calls its own
 * `connectionFor`, not this one).
 */
export class ProxiedController implements PostgresController {
  readonly #inner: PostgresController;
  readonly #clientPorts: ReadonlyMap<string, number>;

  constructor(inner: PostgresController, clientPorts: ReadonlyMap<string, number>) {
    this.#inner = inner;
    this.#clientPorts = clientPorts;
  }

  get nodes(): readonly string[] {
    return this.#inner.nodes;
  }

  get monitorUri(): string {
    return this.#inner.monitorUri;
  }

  /** Client connection settings: the node's proxy, or the real port for a node without one (monitor). */
  connectionFor(node: string): PgConnection {
    const real = this.#inner.connectionFor(node);
    const port = this.#clientPorts.get(node);
    return port === undefined ? real : { ...real, port };
  }

  /** The real port of a node, as the harness's own checks use it. */
  directConnectionFor(node: string): PgConnection {
    return this.#inner.connectionFor(node);
  }

  failoverStepsSince(msAgo: number, signal?: AbortSignal): Promise<string[]> {
    return this.#inner.failoverStepsSince?.(msAgo, signal) ?? Promise.resolve([]);
  }

  primary(signal?: AbortSignal): Promise<PgEndpoint> {
    return this.#inner.primary(signal);
  }

  writablePrimary(signal?: AbortSignal): Promise<PgEndpoint | undefined> {
    return this.#inner.writablePrimary(signal);
  }

  states(signal?: AbortSignal): Promise<PgNodeState[]> {
    return this.#inner.states(signal);
  }

  killNode(node: string): Promise<PgKilled> {
    return this.#inner.killNode(node);
  }

  killPostmaster(node: string): Promise<PgKilled> {
    return this.#inner.killPostmaster(node);
  }

  restartNode(node: string, signal: AbortSignal): Promise<void> {
    return this.#inner.restartNode(node, signal);
  }

  waitHealthy(signal: AbortSignal): Promise<PgNodeState[]> {
    return this.#inner.waitHealthy(signal);
  }

  running(node: string): boolean {
    return this.#inner.running(node);
  }
}
