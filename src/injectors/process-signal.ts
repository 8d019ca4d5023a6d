import { constants } from 'node:os';
import { z } from 'zod';
import type { Injector, StartedService } from '../core/types.js';
import { duration, positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';

const signalName = z
  .string()
  .refine((s) => s in constants.signals, {
    error: 'expected a signal name such as SIGKILL, SIGTERM or SIGUSR1',
  })
  .describe('a signal name: SIGKILL, SIGTERM, SIGHUP, SIGUSR1, ...');

function describeTarget(svc: StartedService, id: string | undefined): string {
  return `${svc.name}${id ? ` (${id})` : ''}`;
}

const killParams = z.strictObject({ signal: signalName.default('SIGKILL') }).meta({
  description:
    'Sends a signal (SIGKILL by default) to the target service: its process group, or its container. Nothing to revert: a supervisor or the stack recovers.',
  examples: [{ target: { service: 'api' }, signal: 'SIGKILL' }],
});

export const processKill: Injector<z.infer<typeof killParams>> = {
  params: killParams,
  async inject(ctx, p, target) {
    const svc = await ctx.env.resolve(target, ctx.signal);
    const id = svc.id();
    if (id === undefined) throw new Error(`service "${svc.name}" is not running`);
    await svc.kill(p.signal as NodeJS.Signals);
    return {
      description: `sent ${p.signal} to ${describeTarget(svc, id)}`,
      reversible: false,
      details: { service: svc.name, id, signal: p.signal },
      async [Symbol.asyncDispose]() {},
    };
  },
};

const signalParams = z.strictObject({ signal: signalName }).meta({
  description:
    'Sends any signal without waiting for an exit (SIGHUP, SIGUSR1, or one the service handles). Nothing to revert.',
  examples: [{ target: { service: 'api' }, signal: 'SIGHUP' }],
});

export const processSignal: Injector<z.infer<typeof signalParams>> = {
  params: signalParams,
  async inject(ctx, p, target) {
    const svc = await ctx.env.resolve(target, ctx.signal);
    const id = svc.id();
    if (id === undefined) throw new Error(`service "${svc.name}" is not running`);
    await svc.signal(p.signal as NodeJS.Signals);
    return {
      description: `sent ${p.signal} to ${describeTarget(svc, id)}`,
      reversible: false,
      details: { service: svc.name, id, signal: p.signal },
      async [Symbol.asyncDispose]() {},
    };
  },
};

const stopParams = withMsNames(
  z
    .strictObject({
      grace: duration.default(5000).describe('SIGTERM, then SIGKILL after this long'),
      downFor: duration.optional().describe('start it again after this long (default: when reverted)'),
    })
    .meta({
      description:
        'Stops the target service gracefully (SIGTERM, then SIGKILL after the grace period); it is started again after downFor, or when the fault is reverted.',
      examples: [{ target: { service: 'api' }, grace: '2s', downFor: '5s' }],
    }),
  ['grace', 'downFor'],
);

export const processStop: Injector<z.infer<typeof stopParams>> = {
  params: stopParams,
  async inject(ctx, p, target) {
    const svc = await ctx.env.resolve(target, ctx.signal);
    const id = svc.id();
    await svc.stop(p.graceMs);
    let timer: NodeJS.Timeout | undefined;
    const ended =
      p.downForMs === undefined
        ? undefined
        : new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              void svc.start(ctx.signal).then(resolve, resolve);
            }, p.downForMs);
          });
    const fault = {
      description: `stopped ${describeTarget(svc, id)}${p.downForMs !== undefined ? ` for ${p.downForMs} ms` : ''}`,
      reversible: true,
      details: { service: svc.name, id, graceMs: p.graceMs },
      async [Symbol.asyncDispose]() {
        if (timer) clearTimeout(timer);
        if (!svc.running()) await svc.start(ctx.signal);
      },
    };
    return ended ? { ...fault, ended } : fault;
  },
};

const pauseParams = withMsNames(
  z.strictObject({ duration: positiveDuration.describe('how long the process stays frozen') }).meta({
    description: 'Freezes the target service for a duration, then thaws it: a hung process, not a dead one.',
    examples: [{ target: { service: 'api' }, duration: '3s' }],
  }),
  ['duration'],
);

export const processPause: Injector<z.infer<typeof pauseParams>> = {
  params: pauseParams,
  async inject(ctx, p, target) {
    const svc = await ctx.env.resolve(target, ctx.signal);
    const id = svc.id();
    await svc.pause();
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<void>((resolve) => {
      timer = setTimeout(() => void svc.resume().then(resolve), p.durationMs);
    });
    return {
      description: `paused ${describeTarget(svc, id)} for ${p.durationMs} ms`,
      reversible: true,
      details: { service: svc.name, id, durationMs: p.durationMs },
      ended,
      async [Symbol.asyncDispose]() {
        if (timer) clearTimeout(timer);
        await svc.resume();
      },
    };
  },
};
