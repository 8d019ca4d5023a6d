import { describe, expect, it } from 'vitest';
import type { AtFault } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { computeAtFault } from './at-fault.js';

let nextId = 0;
/** A write of `key` from startMs to endMs with an outcome. */
const op = (key: string, startMs: number, endMs: number, outcome: OpRecord['outcome'] = 'ok'): OpRecord => ({
  id: nextId++,
  startMs,
  endMs,
  outcome,
  key,
});

// Injection ran from 1000 to 1002 ms (the signal landed somewhere in there).
const W = { injectStartMs: 1000, tInjectMs: 1002 };
const NONE = { inFlight: 0, ok: 0, failed: 0, unknown: 0, recentAcks: 0 };

describe('computeAtFault', () => {
  it.each<{ name: string; ops: OpRecord[]; present?: string[]; expected: Partial<AtFault> }>([
    {
      name: 'counts nothing when nothing ran across the injection',
      ops: [op('a', 800, 850), op('b', 1010, 1020)],
      expected: NONE,
    },
    {
      name: 'counts an operation in flight only if it spans the whole injection window',
      ops: [op('a', 990, 1003), op('b', 990, 1001), op('c', 1001, 1050), op('d', 999, 1500, 'fail')],
      expected: { ...NONE, inFlight: 2, ok: 1, failed: 1 },
    },
    {
      name: 'says which acknowledged in-flight writes were lost on read-back, and timed-out ones apart',
      ops: [op('a', 960, 1040), op('b', 970, 1045), op('c', 980, 1980, 'unknown')],
      present: ['a'],
      expected: { ...NONE, inFlight: 3, ok: 2, unknown: 1, okLost: 1, recentAcksLost: 0 },
    },
    {
      name: 'counts acknowledgements of the 100 ms before injection began, and the lost ones among them',
      ops: [op('a', 880, 899), op('b', 890, 901), op('c', 950, 960), op('d', 990, 1000), op('e', 995, 1001)],
      present: ['a', 'b'],
      // a ended 101 ms before, outside; e ended during the injection, neither before it nor in flight after.
      expected: { ...NONE, recentAcks: 3, recentAcksLost: 2, okLost: 0 },
    },
  ])('$name', ({ ops, present, expected }) => {
    const got = computeAtFault(ops, W, present ? new Set(present) : undefined);
    expect(got).toEqual({ injectStartMs: 1000, tInjectMs: 1002, recentWindowMs: 100, ...expected });
  });

  it('gives no lost counts for a probe that reads nothing back', () => {
    const got = computeAtFault([op('a', 900, 1100)], W);
    expect(got.okLost).toBeUndefined();
    expect(got.recentAcksLost).toBeUndefined();
  });
});
