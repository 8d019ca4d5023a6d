import { describe, expect, it } from 'vitest';
import type { RpoResult } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { computeRpo } from './rpo.js';

/** A write of `key` acknowledged (or failed, or timed out) at `ackMs`. */
const write = (key: string, outcome: OpRecord['outcome'], ackMs: number): OpRecord => ({
  id: ackMs,
  startMs: ackMs - 5,
  endMs: ackMs,
  outcome,
  key,
});

const T_INJECT = 1000;
const NOTHING_LOST = { lost: 0, lostSample: [], lostAfterInject: 0, rpoMs: 0 };
const NO_UNKNOWN = { unknownPresent: 0, unknownAbsent: 0 };

describe('computeRpo', () => {
  it.each<{ name: string; ops: OpRecord[]; present: string[]; expected: RpoResult }>([
    {
      name: 'reports 0 when every acknowledged write is present',
      ops: [write('a', 'ok', 100), write('b', 'ok', 900), write('c', 'ok', 1100)],
      present: ['a', 'b', 'c'],
      expected: { acknowledged: 3, ...NOTHING_LOST, ...NO_UNKNOWN },
    },
    {
      name: 'measures losses before the injection from the oldest lost ack to t_inject',
      ops: [write('a', 'ok', 100), write('b', 'ok', 400), write('c', 'ok', 700), write('d', 'ok', 900)],
      present: ['a', 'b'],
      expected: {
        acknowledged: 4,
        lost: 2,
        lostSample: [
          { key: 'c', ackMs: 700 },
          { key: 'd', ackMs: 900 },
        ],
        lostAfterInject: 0,
        rpoMs: 300,
        ...NO_UNKNOWN,
      },
    },
    {
      name: 'counts losses acknowledged after the injection as split brain and widens the window to them',
      ops: [write('c', 'ok', 1500), write('a', 'ok', 800), write('b', 'ok', 1200)],
      present: [],
      expected: {
        acknowledged: 3,
        lost: 3,
        lostSample: [
          { key: 'a', ackMs: 800 },
          { key: 'b', ackMs: 1200 },
          { key: 'c', ackMs: 1500 },
        ],
        lostAfterInject: 2,
        rpoMs: 700,
        ...NO_UNKNOWN,
      },
    },
    {
      name: 'measures from the oldest to the newest lost ack when all losses follow the injection',
      ops: [write('a', 'ok', 1200), write('b', 'ok', 1500), write('c', 'ok', 1600)],
      present: ['c'],
      expected: {
        acknowledged: 3,
        lost: 2,
        lostSample: [
          { key: 'a', ackMs: 1200 },
          { key: 'b', ackMs: 1500 },
        ],
        lostAfterInject: 2,
        rpoMs: 300,
        ...NO_UNKNOWN,
      },
    },
    {
      name: 'reports timed-out writes as present or absent and never as lost',
      ops: [
        write('a', 'ok', 100),
        write('u1', 'unknown', 900),
        write('u2', 'unknown', 950),
        write('u3', 'unknown', 1100),
      ],
      present: ['a', 'u1'],
      expected: { acknowledged: 1, ...NOTHING_LOST, unknownPresent: 1, unknownAbsent: 2 },
    },
    {
      name: 'ignores failed writes whether or not their key is present',
      ops: [write('f1', 'fail', 900), write('f2', 'fail', 950)],
      present: ['f1'],
      expected: { acknowledged: 0, ...NOTHING_LOST, ...NO_UNKNOWN },
    },
    {
      name: 'ignores ops without a key (reads)',
      ops: [{ id: 1, startMs: 0, endMs: 1, outcome: 'ok' }, write('a', 'ok', 100)],
      present: ['a'],
      expected: { acknowledged: 1, ...NOTHING_LOST, ...NO_UNKNOWN },
    },
  ])('$name', ({ ops, present, expected }) => {
    expect(computeRpo(ops, new Set(present), T_INJECT)).toEqual(expected);
  });

  it('keeps the 50 oldest lost writes as the sample but counts all of them', () => {
    const ops = Array.from({ length: 60 }, (_, i) => write(`k${i}`, 'ok', 1000 - i * 10));
    const result = computeRpo(ops, new Set(), T_INJECT);
    expect(result.lost).toBe(60);
    expect(result.lostSample).toHaveLength(50);
    expect(result.lostSample[0]).toEqual({ key: 'k59', ackMs: 410 });
    expect(result.lostSample[49]).toEqual({ key: 'k10', ackMs: 900 });
    expect(result.rpoMs).toBe(T_INJECT - 410);
  });
});
