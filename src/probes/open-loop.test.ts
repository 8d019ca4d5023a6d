import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createClock } from '../core/clock.js';
import { computeSchedule } from '../core/metrics.js';
import { MAX_CATCH_UP_MS, OpenLoop } from './open-loop.js';

describe('OpenLoop', () => {
  it('keeps issuing at its rate while an operation hangs, and records the hung one as unknown', async () => {
    const loop = new OpenLoop({
      intervalMs: 20,
      timeoutMs: 150,
      clock: createClock(),
      op: (signal, id) =>
        id === 0
          ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
          : Promise.resolve(undefined),
    });
    loop.start();
    await sleep(400);
    await loop.stop();
    const ops = [...loop.ops].sort((a, b) => a.id - b.id);
    // 400 ms at one op per 20 ms: about 20 ops, despite op 0 hanging for its whole timeout.
    expect(ops.length).toBeGreaterThanOrEqual(15);
    expect(ops[0]).toMatchObject({ id: 0, outcome: 'unknown' });
    expect(ops[0]!.endMs - ops[0]!.startMs).toBeGreaterThanOrEqual(149);
    expect(ops.slice(1).every((o) => o.outcome === 'ok')).toBe(true);
    const starts = ops.map((o) => o.startMs);
    expect(starts[5]! - starts[0]!).toBeLessThan(5 * 20 + 30);
  });

  it('records a thrown error as a failure with its message, and keys of writes', async () => {
    const loop = new OpenLoop({
      intervalMs: 10,
      timeoutMs: 100,
      clock: createClock(),
      keyFor: (id) => `k${id}`,
      op: async (_signal, id) => {
        if (id % 2 === 1) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
        return undefined;
      },
    });
    loop.start();
    await sleep(100);
    await loop.stop();
    const failed = loop.ops.filter((o) => o.outcome === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]?.error).toBe('ECONNREFUSED: connection refused');
    expect(loop.ops.every((o) => o.key === `k${o.id}`)).toBe(true);
  });

  it('stops without waiting forever for an operation that ignores its abort signal', async () => {
    const loop = new OpenLoop({
      intervalMs: 50,
      timeoutMs: 50,
      clock: createClock(),
      op: () => new Promise(() => {}),
    });
    loop.start();
    await sleep(60);
    const t0 = performance.now();
    await loop.stop();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(loop.ops.every((o) => o.outcome === 'unknown')).toBe(true);
  });

  describe('its schedule', () => {
    /** Blocks the event loop, as a synchronous chunk of harness work would. */
    const block = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {}
    };
    const slotsOf = (loop: OpenLoop, intervalMs: number) => {
      const ops = [...loop.ops].sort((a, b) => a.scheduledMs! - b.scheduledMs!);
      const first = ops[0]!.scheduledMs!;
      return { ops, slots: ops.map((o) => Math.round((o.scheduledMs! - first) / intervalMs)) };
    };

    it('records the slot of every op on a fixed grid, and never starts an op before its slot', async () => {
      const loop = new OpenLoop({
        intervalMs: 10,
        timeoutMs: 100,
        clock: createClock(),
        op: async () => undefined,
      });
      loop.start();
      await sleep(200);
      await loop.stop();
      const { ops, slots } = slotsOf(loop, 10);
      expect(ops.length).toBeGreaterThan(10);
      expect(slots).toEqual(slots.map((_, i) => i));
      for (const [k, o] of ops.entries()) {
        expect(o.scheduledMs).toBeCloseTo(ops[0]!.scheduledMs! + k * 10, 6);
        expect(o.startMs).toBeGreaterThanOrEqual(o.scheduledMs!);
      }
    });

    it('after a stall, starts the slots that fell due meanwhile, each with its own slot, and the lag shows it', async () => {
      const clock = createClock();
      const loop = new OpenLoop({ intervalMs: 10, timeoutMs: 100, clock, op: async () => undefined });
      loop.start();
      await sleep(50);
      block(150);
      await sleep(50);
      const endMs = clock.now();
      await loop.stop();
      const { slots } = slotsOf(loop, 10);
      // No slot was skipped: a stall shorter than MAX_CATCH_UP_MS is caught up, not hidden.
      expect(slots).toEqual(slots.map((_, i) => i));
      const s = computeSchedule(loop.ops, { intervalMs: 10, endMs });
      expect(s.missed).toBe(0);
      // About 14 slots fell due during the 150 ms block; all but the last started > 10 ms late.
      expect(s.late).toBeGreaterThanOrEqual(10);
      expect(s.lagMaxMs).toBeGreaterThanOrEqual(130);
    });

    it(`skips the slots more than ${MAX_CATCH_UP_MS} ms overdue instead of bursting them, and counts them missed`, async () => {
      const clock = createClock();
      const loop = new OpenLoop({ intervalMs: 10, timeoutMs: 100, clock, op: async () => undefined });
      loop.start();
      await sleep(30);
      block(MAX_CATCH_UP_MS + 300);
      await sleep(50);
      const endMs = clock.now();
      await loop.stop();
      const s = computeSchedule(loop.ops, { intervalMs: 10, endMs });
      // About 30 slots were more than a second overdue when the loop ran again: skipped, not issued.
      expect(s.missed).toBeGreaterThanOrEqual(20);
      expect(s.issued + s.missed).toBe(s.scheduled);
      expect(s.late).toBeGreaterThanOrEqual(s.missed + 90);
      // The burst after the stall stays within a second of slots.
      expect(s.issued).toBeLessThan(s.scheduled - 20);
    });
  });
});
