import { describe, expect, it } from 'vitest';
import type { OpRecord } from '../types.js';
import { computeTimeline, TIMELINE_BUCKET_MS } from './timeline.js';

let nextId = 0;
const op = (startMs: number, outcome: OpRecord['outcome'], latencyMs = 1): OpRecord => ({
  id: nextId++,
  startMs,
  endMs: startMs + latencyMs,
  outcome,
});

describe('computeTimeline', () => {
  it('counts each op in the bucket it started in, by outcome', () => {
    const ops = [
      op(1000, 'ok'),
      op(1050, 'ok'),
      op(1099.9, 'fail'),
      op(1100, 'unknown', 1000),
      op(1250, 'ok'),
      op(1299, 'fail'),
    ];
    const t = computeTimeline(ops, { startMs: 1000, endMs: 1300 });
    expect(t).toMatchObject({
      startMs: 1000,
      endMs: 1300,
      bucketMs: TIMELINE_BUCKET_MS,
      started: [3, 1, 2],
      ok: [2, 0, 1],
      failed: [1, 0, 1],
      unknown: [0, 1, 0],
    });
  });

  it('gives nearest-rank p50 and p95 of the successful ops, null in a bucket without one', () => {
    // Bucket 0: latencies 1..20 ms (ok) plus a slow failure that must not count.
    const ops = Array.from({ length: 20 }, (_, i) => op(i * 5, 'ok', i + 1));
    ops.push(op(99, 'fail', 900));
    // Bucket 1: only failures and a timeout. Bucket 2: one op of 0.123456 ms.
    ops.push(op(120, 'fail'), op(150, 'unknown', 1000), op(210, 'ok', 0.123456));
    const t = computeTimeline(ops, { startMs: 0, endMs: 300 });
    expect(t.p50Ms).toEqual([10, null, 0.123]);
    expect(t.p95Ms).toEqual([19, null, 0.123]);
  });

  it.each([
    // [window length, bucket, number of buckets]
    [1000, 100, 10],
    [1001, 100, 11],
    [50, 100, 1],
    [0, 100, 0],
    [1000, 25, 40],
  ])(
    'covers a %d ms window with %d ms buckets in %d buckets, the last one ending at the end',
    (len, bucketMs, n) => {
      const t = computeTimeline([], { startMs: 500, endMs: 500 + len, bucketMs });
      expect(t.started).toHaveLength(n);
      expect(t.p95Ms).toHaveLength(n);
      expect(t.endMs).toBe(500 + len);
    },
  );

  it('leaves out ops that started before the window or at its end', () => {
    const t = computeTimeline([op(99, 'ok'), op(100, 'fail'), op(299.5, 'ok'), op(300, 'ok')], {
      startMs: 100,
      endMs: 300,
    });
    expect(t.started).toEqual([1, 1]);
    expect(t.failed).toEqual([1, 0]);
    expect(t.ok).toEqual([0, 1]);
  });

  it('refuses a bucket wider than 100 ms', () => {
    expect(() => computeTimeline([], { startMs: 0, endMs: 1000, bucketMs: 250 })).toThrow(
      'timeline bucket must be within (0, 100] ms, got 250',
    );
  });
});
