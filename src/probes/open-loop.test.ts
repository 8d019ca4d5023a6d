import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createClock } from '../core/clock.js';
import { OpenLoop } from './open-loop.js';

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
    expect(loop.rate().requestedPerSec).toBe(100);
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
});
