import { HarnessError } from '../core/errors.js';
import type {
  Endpoint,
  OpRecord,
  ProbeCommon,
  RunContext,
  RunningProbe,
  StartedService,
  TargetSelector,
} from '../core/types.js';
import { OpenLoop, type OpenLoopOptions } from './open-loop.js';

/**
 * A RunningProbe backed by an OpenLoop: the shape shared by every simple probe.
 * `extra` adds verify/samples/summary and clean-up for probes that need them.
 */
export function runOpenLoop(
  ctx: RunContext,
  kind: string,
  common: ProbeCommon,
  op: OpenLoopOptions['op'],
  extra: Partial<Pick<RunningProbe, 'verify' | 'samples' | 'summary'>> & {
    keyFor?: OpenLoopOptions['keyFor'];
    close?: () => Promise<void>;
  } = {},
): RunningProbe {
  const loop = new OpenLoop({
    intervalMs: common.intervalMs,
    timeoutMs: common.timeoutMs,
    clock: ctx.clock,
    op,
    ...(extra.keyFor ? { keyFor: extra.keyFor } : {}),
  });
  loop.start();
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= loop.stop();
    return stopped;
  };
  const probe: RunningProbe = {
    name: common.name,
    kind,
    intervalMs: common.intervalMs,
    timeoutMs: common.timeoutMs,
    ops: (): readonly OpRecord[] => loop.ops,
    stop,
    ...(extra.summary ? { summary: extra.summary } : {}),
    async [Symbol.asyncDispose]() {
      await stop();
      await extra.close?.();
    },
  };
  if (extra.verify) probe.verify = extra.verify;
  if (extra.samples) probe.samples = extra.samples;
  return probe;
}

/** The target service (resolved now: roles move) and its named endpoint, or a clear error. */
export async function resolveEndpoint(
  ctx: RunContext,
  target: TargetSelector,
  endpoint: string,
  signal?: AbortSignal,
): Promise<{ service: StartedService; endpoint: Endpoint }> {
  const service = await ctx.env.resolve(target, signal);
  const ep = service.endpoints[endpoint];
  if (!ep) {
    const has = Object.keys(service.endpoints).join(', ') || 'none';
    throw new HarnessError(
      'INVALID_INPUT',
      `service "${service.name}" has no endpoint "${endpoint}" (has: ${has})`,
    );
  }
  return { service, endpoint: ep };
}
