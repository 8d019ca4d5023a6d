// Who is master now, and is the replication topology whole again? Asked of the nodes and the
// sentinels themselves (on their real ports), because roles change under the harness's feet.
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint } from '../../src/core/types.js';
import { HOST, MASTER_NAME } from './redis-config.js';
import { askRole, pairs, tryRedisCall } from './redis-control.js';

export interface NodeAddress {
  name: string;
  /** The port the process listens on. */
  realPort: number;
  /** The port everyone else uses: its proxy's with viaProxy, else the real one. */
  clientPort: number;
  /** The host the other nodes use: 127.0.0.1 for local processes, the network alias in containers. */
  peerHost: string;
}

export interface Health {
  healthy: boolean;
  master: string | undefined;
  problems: string[];
}

const direct = (n: NodeAddress): Endpoint => ({ host: HOST, port: n.realPort });

export class Topology {
  readonly dataNodes: readonly NodeAddress[];
  readonly sentinels: readonly NodeAddress[];
  readonly #running: (name: string) => boolean;

  constructor(dataNodes: NodeAddress[], sentinels: NodeAddress[], running: (name: string) => boolean) {
    this.dataNodes = dataNodes;
    this.sentinels = sentinels;
    this.#running = running;
  }

  /** The data node listening on (or proxied at) this port. */
  nodeAt(port: number): NodeAddress | undefined {
    return this.dataNodes.find((n) => n.clientPort === port || n.realPort === port);
  }

  /** The master a majority of all sentinels names now, or undefined when there is none. */
  async sentinelMaster(signal?: AbortSignal): Promise<string | undefined> {
    const live = this.sentinels.filter((s) => this.#running(s.name));
    const answers = await Promise.all(
      live.map((s) =>
        tryRedisCall(direct(s), ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME], {
          signal,
          timeoutMs: 500,
        }),
      ),
    );
    const votes = new Map<string, number>();
    for (const a of answers) {
      if (!Array.isArray(a)) continue;
      const node = this.nodeAt(Number(a[1]));
      if (node) votes.set(node.name, (votes.get(node.name) ?? 0) + 1);
    }
    const majority = Math.floor(this.sentinels.length / 2) + 1;
    for (const [name, n] of votes) if (n >= majority) return name;
    return undefined;
  }

  /**
   * `primary` when the node says it is master and the sentinels agree (or cannot be asked),
   * `stale-primary` when it says master but the sentinels elected another node (split brain,
   * or the instant between promotion and the switch), `replica`, or undefined when down.
   */
  async dataRole(name: string, signal?: AbortSignal): Promise<string | undefined> {
    const node = this.dataNodes.find((n) => n.name === name);
    if (!node || !this.#running(name)) return undefined;
    const r = await askRole(direct(node), signal);
    if (r?.role === 'slave') return 'replica';
    if (r?.role !== 'master') return undefined;
    const elected = await this.sentinelMaster(signal);
    return elected === undefined || elected === name ? 'primary' : 'stale-primary';
  }

  /**
   * One look at the whole topology. `expectedMaster` is used before the sentinels run
   * (bring-up); otherwise the sentinels' choice is checked.
   */
  async health(signal?: AbortSignal, expectedMaster?: string): Promise<Health> {
    const problems: string[] = [];
    const master = expectedMaster ?? (await this.sentinelMaster(signal));
    const m = this.dataNodes.find((n) => n.name === master);
    if (!m) return { healthy: false, master, problems: ['the sentinels do not agree on a master'] };
    const others = this.dataNodes.filter((n) => n !== m && this.#running(n.name));
    const mRole = await askRole(direct(m), signal);
    if (mRole?.role !== 'master')
      problems.push(`${m.name} is elected but answers ROLE ${mRole?.role ?? 'nothing'}`);
    for (const n of others) {
      const r = await askRole(direct(n), signal);
      if (r?.role !== 'slave') problems.push(`${n.name} is ${r?.role ?? 'not answering'}, not a replica`);
      else if (this.nodeAt(r.masterPort) !== m)
        problems.push(`${n.name} replicates from port ${r.masterPort}`);
      else if (r.state !== 'connected') problems.push(`${n.name} replication link is ${r.state}`);
      if (mRole?.role === 'master' && !mRole.replicas.some((x) => this.nodeAt(x.port) === n)) {
        problems.push(`${m.name} does not list ${n.name} as a replica`);
      }
    }
    if (expectedMaster === undefined) problems.push(...(await this.#sentinelProblems(m, others, signal)));
    return { healthy: problems.length === 0, master, problems };
  }

  async #sentinelProblems(m: NodeAddress, replicas: NodeAddress[], signal?: AbortSignal): Promise<string[]> {
    const problems: string[] = [];
    const live = this.sentinels.filter((s) => this.#running(s.name));
    for (const s of live) {
      const info = pairs(await tryRedisCall(direct(s), ['SENTINEL', 'MASTER', MASTER_NAME], { signal }));
      if (this.nodeAt(Number(info.port)) !== m)
        problems.push(`${s.name} names port ${info.port ?? '?'} as master`);
      if (info.flags !== 'master') problems.push(`${s.name} flags the master "${info.flags ?? '?'}"`);
      if (Number(info['num-other-sentinels']) !== live.length - 1) {
        problems.push(`${s.name} knows ${info['num-other-sentinels'] ?? '?'} other sentinels`);
      }
      const reply = await tryRedisCall(direct(s), ['SENTINEL', 'REPLICAS', MASTER_NAME], { signal });
      const entries = Array.isArray(reply) ? reply.map(pairs) : [];
      for (const n of replicas) {
        const e = entries.find((x) => this.nodeAt(Number(x.port)) === n);
        if (!e) problems.push(`${s.name} does not know replica ${n.name}`);
        else if (/s_down|o_down|disconnected/.test(e.flags ?? ''))
          problems.push(`${s.name} flags ${n.name} "${e.flags}"`);
      }
    }
    return problems;
  }

  /** Poll health until whole, or throw naming what is still wrong after timeoutMs. */
  async waitHealthy(
    opts: {
      signal?: AbortSignal | undefined;
      timeoutMs?: number;
      expectedMaster?: string;
      intervalMs?: number;
    } = {},
  ): Promise<Health> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const h = await this.health(opts.signal, opts.expectedMaster);
      if (h.healthy) return h;
      if (performance.now() >= deadline) {
        throw new HarnessError(
          'NOT_READY',
          `redis-sentinel topology not healthy after ${timeoutMs}ms: ${h.problems.join('; ')}`,
        );
      }
      await sleep(opts.intervalMs ?? 100, undefined, opts.signal ? { signal: opts.signal } : undefined);
    }
  }
}
