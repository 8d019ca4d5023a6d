// Shared by the network injectors: find the proxies that carry a service's traffic, change them
// through the Toxiproxy API (so a real Toxiproxy works too), and undo exactly what was changed.
import { randomUUID } from 'node:crypto';
import {
  type ICreateToxicBody,
  type ToxicDirection,
  Toxiproxy,
  type Proxy as ToxiproxyProxy,
} from 'toxiproxy-node-client';
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { InjectedFault, RunContext, StartedService, TargetSelector } from '../core/types.js';
import { faultProxyRouting } from '../proxy/routing.js';
import { positiveDuration } from '../scenario/duration.js';

export const directionSchema = z
  .enum(['both', 'upstream', 'downstream'])
  .describe('upstream: data to the service; downstream: data from it; both');
export type Direction = z.infer<typeof directionSchema>;

/** `duration` of the network faults. */
export const revertAfter = positiveDuration
  .optional()
  .describe('revert by itself after this long (default: when the run reverts it)');

export const toxicitySchema = z
  .number()
  .min(0)
  .max(1)
  .default(1)
  .describe('share of connections affected, 0..1 (Toxiproxy "toxicity")');

export function streamsOf(direction: Direction): ToxicDirection[] {
  return direction === 'both' ? ['upstream', 'downstream'] : [direction];
}

/** toxiproxy-node-client rejects with objects that carry a message but are not Errors. */
export function errorMessage(err: unknown): string {
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m : String(err);
}
const message = errorMessage;

export interface RoutedProxies {
  service: string;
  apiUrl: string;
  client: Toxiproxy;
  proxies: ToxiproxyProxy[];
}

/**
 * The target service (resolved now, so a role follows failovers, unless the caller resolved it
 * already) and every proxy in front of it.
 */
export async function routedProxies(
  ctx: RunContext,
  target: TargetSelector,
  kind: string,
  resolved?: StartedService,
): Promise<RoutedProxies> {
  const routing = faultProxyRouting(ctx.env, kind);
  const svc = resolved ?? (await ctx.env.resolve(target, ctx.signal));
  const names = routing.proxiesFor(svc.name);
  if (names.length === 0) {
    throw new HarnessError(
      'INJECTION_FAILED',
      `${kind}: no fault proxy carries traffic to service "${svc.name}"`,
    );
  }
  const client = new Toxiproxy(routing.apiUrl);
  const proxies: ToxiproxyProxy[] = [];
  for (const name of names) {
    try {
      proxies.push(await client.get(name));
    } catch (err) {
      throw new HarnessError(
        'INJECTION_FAILED',
        `${kind}: proxy "${name}" for service "${svc.name}" at ${routing.apiUrl}: ${message(err)}`,
        { cause: err },
      );
    }
  }
  return { service: svc.name, apiUrl: routing.apiUrl, client, proxies };
}

/**
 * Wraps a revert function into an InjectedFault: reverting happens once, either when the fault
 * is disposed or, with `durationMs`, when that time is up (then `ended` resolves).
 */
export function revertibleFault(
  description: string,
  details: Record<string, unknown>,
  revert: () => Promise<void>,
  durationMs: number | undefined,
): InjectedFault {
  let reverting: Promise<void> | undefined;
  const revertOnce = () => {
    reverting ??= revert();
    return reverting;
  };
  let timer: NodeJS.Timeout | undefined;
  const fault: InjectedFault = {
    description,
    reversible: true,
    details,
    async [Symbol.asyncDispose]() {
      clearTimeout(timer);
      await revertOnce();
    },
  };
  if (durationMs !== undefined) {
    fault.ended = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => revertOnce().then(resolve, reject), durationMs);
    });
    // The runner may dispose instead of awaiting `ended`; a failed timed revert must not go unhandled.
    fault.ended.catch(() => {});
  }
  return fault;
}

type ToxicBody = Omit<ICreateToxicBody<Record<string, number>>, 'name' | 'stream'>;

/** Adds one toxic per proxy and stream; on failure removes what was added, then throws. */
export async function injectToxics(
  ctx: RunContext,
  target: TargetSelector,
  kind: string,
  opts: { toxic: ToxicBody; direction: Direction; durationMs: number | undefined; summary: string },
): Promise<InjectedFault> {
  const routed = await routedProxies(ctx, target, kind);
  const id = randomUUID().slice(0, 8);
  const added: { proxy: ToxiproxyProxy; name: string }[] = [];
  const removeAll = async () => {
    const errors: string[] = [];
    for (const { proxy, name } of added.splice(0).reverse()) {
      try {
        await routed.client.getApi().delete(`${proxy.getPath()}/toxics/${encodeURIComponent(name)}`);
      } catch (err) {
        // Already gone (a reset, a deleted proxy): nothing left to revert.
        if (!message(err).includes('404')) errors.push(`${proxy.name}/${name}: ${message(err)}`);
      }
    }
    if (errors.length > 0) {
      throw new HarnessError('RECOVERY_FAILED', `${kind}: could not remove toxics: ${errors.join('; ')}`);
    }
  };
  try {
    for (const proxy of routed.proxies) {
      for (const stream of streamsOf(opts.direction)) {
        ctx.signal.throwIfAborted();
        const name = `${kind}-${id}-${stream}`;
        await proxy.addToxic({ ...opts.toxic, name, stream });
        added.push({ proxy, name });
      }
    }
  } catch (err) {
    await removeAll().catch(() => {});
    if (err instanceof HarnessError) throw err;
    throw new HarnessError('INJECTION_FAILED', `${kind} on service "${routed.service}": ${message(err)}`, {
      cause: err,
    });
  }
  const details = {
    service: routed.service,
    apiUrl: routed.apiUrl,
    proxies: routed.proxies.map((p) => p.name),
    toxics: added.map((a) => `${a.proxy.name}/${a.name}`),
    type: opts.toxic.type,
    attributes: opts.toxic.attributes,
    toxicity: opts.toxic.toxicity,
    direction: opts.direction,
  };
  const description = `${opts.summary} on ${routed.proxies.length} prox${routed.proxies.length === 1 ? 'y' : 'ies'} of "${routed.service}"`;
  return revertibleFault(description, details, removeAll, opts.durationMs);
}
