import type { OpRecord, ProbeCommon, RunContext, RunningProbe } from '../core/types.js';
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
    summary: () => ({ ...loop.rate(), ...(extra.summary?.() ?? {}) }),
    async [Symbol.asyncDispose]() {
      await stop();
      await extra.close?.();
    },
  };
  if (extra.verify) probe.verify = extra.verify;
  if (extra.samples) probe.samples = extra.samples;
  return probe;
}
