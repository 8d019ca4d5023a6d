// Who serves which slots now, and is the cluster whole? Asked of the running nodes themselves, on
// their real ports (never through the fault proxy, so an injected fault cannot blind the harness).
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint } from '../../src/core/types.js';
import type { SlotRange } from '../../src/stacks/redis-cluster.js';
import { tryRedisCall } from '../redis-sentinel/redis-control.js';
import { HOST } from './cluster-config.js';

export const SLOTS = 16384;

export interface ClusterNodeAddress {
  name: string;
  /** The port the process listens on. */
  realPort: number;
  /** The port clients use: its proxy's with viaProxy, else the real one. */
  clientPort: number;
  busPort: number;
  /** The host clients are told (127.0.0.1 locally, the network alias in containers). */
  peerHost: string;
}

/** One line of CLUSTER NODES. */
export interface NodeLine {
  id: string;
  address: string;
  flags: string[];
  masterId: string | undefined;
  linkState: string;
  /** Slot ranges served, inclusive. */
  slots: [number, number][];
}

export function parseClusterNodes(text: string): NodeLine[] {
  const out: NodeLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length < 8) continue;
    const slots: [number, number][] = [];
    for (const s of f.slice(8)) {
      if (s.startsWith('[')) continue; // a slot being migrated or imported
      const [a, b] = s.split('-');
      slots.push([Number(a), Number(b ?? a)]);
    }
    out.push({
      id: f[0] as string,
      address: f[1] as string,
      flags: (f[2] as string).split(','),
      masterId: f[3] === '-' ? undefined : f[3],
      linkState: f[7] as string,
      slots,
    });
  }
  return out;
}

/** The split `redis-cli --cluster create` makes for n masters (slots per master, the rest spread). */
export function createdRanges(masters: number): SlotRange[] {
  const out: SlotRange[] = [];
  const per = SLOTS / masters;
  let first = 0;
  let cursor = 0;
  for (let i = 0; i < masters; i++) {
    const last = i === masters - 1 ? SLOTS - 1 : Math.round(cursor + per - 1);
    out.push({ name: `slots ${first}-${last}`, from: first, to: last });
    first = last + 1;
    cursor += per;
  }
  return out;
}

function infoFields(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of String(reply ?? '').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export interface Health {
  healthy: boolean;
  problems: string[];
}

export class ClusterView {
  readonly nodes: readonly ClusterNodeAddress[];
  readonly ranges: readonly SlotRange[];
  /** Node ids by service name, known once the cluster is created (kept in each node's nodes.conf). */
  readonly ids = new Map<string, string>();
  readonly #running: (name: string) => boolean;

  constructor(nodes: ClusterNodeAddress[], ranges: SlotRange[], running: (name: string) => boolean) {
    this.nodes = nodes;
    this.ranges = ranges;
    this.#running = running;
  }

  direct(name: string): Endpoint {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new HarnessError('INTERNAL', `redis-cluster has no node ${name}`);
    return { host: HOST, port: n.realPort };
  }

  nameOf(id: string | undefined): string | undefined {
    for (const [name, i] of this.ids) if (i === id) return name;
    return undefined;
  }

  #live(): ClusterNodeAddress[] {
    return this.nodes.filter((n) => this.#running(n.name));
  }

  /** CLUSTER NODES of one node, or undefined when it does not answer. */
  async nodesOf(name: string, signal?: AbortSignal): Promise<NodeLine[] | undefined> {
    const r = await tryRedisCall(this.direct(name), ['CLUSTER', 'NODES'], { signal, timeoutMs: 500 });
    return typeof r === 'string' ? parseClusterNodes(r) : undefined;
  }

  /** Each running node's view, by name (nodes that do not answer are left out). */
  async views(signal?: AbortSignal): Promise<Map<string, NodeLine[]>> {
    const live = this.#live();
    const answers = await Promise.all(live.map((n) => this.nodesOf(n.name, signal)));
    const out = new Map<string, NodeLine[]>();
    live.forEach((n, i) => {
      const a = answers[i];
      if (a) out.set(n.name, a);
    });
    return out;
  }

  /**
   * The service a majority of the answering nodes says serves `slot` as a healthy master (not
   * flagged fail), or undefined when they do not agree (mid-failover).
   */
  async masterOf(
    slot: number,
    signal?: AbortSignal,
    views?: Map<string, NodeLine[]>,
  ): Promise<string | undefined> {
    const vs = views ?? (await this.views(signal));
    const votes = new Map<string, number>();
    for (const lines of vs.values()) {
      const owner = lines.find((l) => l.slots.some(([a, b]) => slot >= a && slot <= b));
      if (!owner || owner.flags.includes('fail')) continue;
      const name = this.nameOf(owner.id);
      if (name) votes.set(name, (votes.get(name) ?? 0) + 1);
    }
    for (const [name, n] of votes) if (n > vs.size / 2) return name;
    return undefined;
  }

  /** What the node says it is: master, replica, or undefined when it is down or does not answer. */
  async role(name: string, signal?: AbortSignal): Promise<string | undefined> {
    if (!this.#running(name)) return undefined;
    const me = (await this.nodesOf(name, signal))?.find((l) => l.flags.includes('myself'));
    if (!me) return undefined;
    return me.flags.includes('slave') ? 'replica' : me.flags.includes('master') ? 'master' : undefined;
  }

  /** A running replica of the node `master` (by its own account), or undefined. */
  async replicaOf(master: string, signal?: AbortSignal): Promise<string | undefined> {
    const id = this.ids.get(master);
    for (const n of this.#live()) {
      const me = (await this.nodesOf(n.name, signal))?.find((l) => l.flags.includes('myself'));
      if (me?.flags.includes('slave') && me.masterId === id) return n.name;
    }
    return undefined;
  }

  /** Does any running node (other than `name`) still say `name` serves slots? */
  async stillOwnsSlots(name: string, signal?: AbortSignal): Promise<boolean> {
    const id = this.ids.get(name);
    const views = await this.views(signal);
    views.delete(name);
    if (views.size === 0) return true;
    for (const lines of views.values()) {
      if (lines.some((l) => l.id === id && l.slots.length > 0)) return true;
    }
    return false;
  }

  /** One look at the whole cluster, from every running node. */
  async health(signal?: AbortSignal): Promise<Health> {
    const problems: string[] = [];
    const live = this.#live();
    const views = await this.views(signal);
    for (const n of live) {
      const info = infoFields(
        await tryRedisCall(this.direct(n.name), ['CLUSTER', 'INFO'], { signal, timeoutMs: 500 }),
      );
      if (info.cluster_state !== 'ok')
        problems.push(`${n.name} cluster_state ${info.cluster_state ?? 'unknown'}`);
      else if (Number(info.cluster_slots_ok) !== SLOTS)
        problems.push(`${n.name} has ${info.cluster_slots_ok} of ${SLOTS} slots ok`);
      if (Number(info.cluster_known_nodes) !== this.nodes.length)
        problems.push(`${n.name} knows ${info.cluster_known_nodes ?? '?'} nodes, not ${this.nodes.length}`);
      const lines = views.get(n.name);
      if (!lines) continue;
      for (const l of lines) {
        const who = this.nameOf(l.id) ?? l.id.slice(0, 8);
        if (this.#running(who) && (l.flags.includes('fail') || l.flags.includes('fail?')))
          problems.push(`${n.name} flags ${who} ${l.flags.join(',')}`);
      }
    }
    const masters: string[] = [];
    for (const r of this.ranges) {
      const m = await this.masterOf(r.from, signal, views);
      const mEnd = await this.masterOf(r.to, signal, views);
      if (!m || m !== mEnd) {
        problems.push(`no agreed master for ${r.name}`);
        continue;
      }
      masters.push(m);
      const replicas: string[] = [];
      for (const n of live) {
        const me = views.get(n.name)?.find((l) => l.flags.includes('myself'));
        if (me?.flags.includes('slave') && me.masterId === this.ids.get(m)) replicas.push(n.name);
      }
      if (replicas.length === 0) problems.push(`${m} (${r.name}) has no replica`);
      for (const rep of replicas) {
        const info = infoFields(
          await tryRedisCall(this.direct(rep), ['INFO', 'replication'], { signal, timeoutMs: 500 }),
        );
        if (info.master_link_status !== 'up')
          problems.push(`${rep} replication link to ${m} is ${info.master_link_status ?? 'unknown'}`);
      }
    }
    if (new Set(masters).size !== masters.length)
      problems.push(`one node serves two ranges: ${masters.join(', ')}`);
    return { healthy: problems.length === 0, problems };
  }

  async waitHealthy(opts: {
    signal?: AbortSignal | undefined;
    timeoutMs: number;
    intervalMs?: number;
  }): Promise<void> {
    const deadline = performance.now() + opts.timeoutMs;
    for (;;) {
      const h = await this.health(opts.signal);
      if (h.healthy) return;
      if (performance.now() >= deadline) {
        throw new HarnessError(
          'NOT_READY',
          `redis-cluster not healthy after ${opts.timeoutMs}ms: ${h.problems.join('; ')}`,
        );
      }
      await sleep(opts.intervalMs ?? 100, undefined, opts.signal ? { signal: opts.signal } : undefined);
    }
  }
}
