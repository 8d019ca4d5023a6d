import { constants } from 'node:os';
import { z } from 'zod';
import type { Injector, StartedService } from '../core/types.js';

const signalName = z.string().refine((s) => s in constants.signals, {
  error: 'expected a signal name such as SIGKILL, SIGTERM or SIGUSR1',
});

function describeTarget(svc: StartedService, id: string | undefined): string {
  return `${svc.name}${id ? ` (${id})` : ''}`;
}

const killParams = z.strictObject({ signal: signalName.default('SIGKILL') });

/** Send a signal to the target service (its process group, its container). Nothing to revert: a supervisor or the stack recovers. */
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

const signalParams = z.strictObject({ signal: signalName });

/** Send any signal without waiting for an exit (e.g. SIGHUP, SIGUSR1, or one the service handles). */
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

const stopParams = z.strictObject({
  graceMs: z.number().nonnegative().default(5000),
  downForMs: z
    .number()
    .nonnegative()
    .optional()
    .describe('start it again after this long (default: when reverted)'),
});

/** Graceful stop (SIGTERM, then SIGKILL after the grace period); started again after downFor or on revert. */
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

const pauseParams = z.strictObject({
  durationMs: z.number().positive().describe('how long the process stays frozen'),
});

/** Freeze the target service for a duration, then thaw it: a hung process, not a dead one. */
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
