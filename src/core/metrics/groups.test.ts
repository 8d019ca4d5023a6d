import { describe, expect, it } from 'vitest';
import type { OpRecord } from '../types.js';
import { computeGroups, groupedRto } from './groups.js';
import { computeRto } from './rto.js';

/**
 * Ops every 100 ms from t=0, round-robin over the groups' specs (one token per op of that group):
 * `ok` succeeds, `X` fails, `T` times out (1 s); each op writes key `<group>:<n>`.
 */
function interleaved(specs: Record<string, string>): OpRecord[] {
  const lists = Object.entries(specs).map(([g, s]) => [g, s.trim().split(/\s+/)] as const);
  const ops: OpRecord[] = [];
  const longest = Math.max(...lists.map(([, t]) => t.length));
  for (let n = 0; n < longest; n++) {
    for (const [group, tokens] of lists) {
      const token = tokens[n];
      if (token === undefined) continue;
      const outcome = ({ ok: 'ok', X: 'fail', T: 'unknown' } as const)[token as 'ok' | 'X' | 'T'];
      const startMs = ops.length * 100;
      ops.push({
        id: ops.length,
        startMs,
        endMs: startMs + (outcome === 'unknown' ? 1000 : 1),
        outcome,
        key: `${group}:${n}`,
        group,
      });
    }
  }
  return ops;
}

const OPTS = { tInjectMs: 250, stableForMs: 500, deadlineMs: 100_000 };

describe('computeGroups', () => {
  it('is undefined when no operation carries a group', () => {
    expect(computeGroups([{ id: 0, startMs: 0, endMs: 1, outcome: 'ok' }], OPTS)).toBeUndefined();
  });

  it('gives each group its own RTO; the groups the fault missed have no impact, and the whole probe recovers with the worst group', () => {
    const ops = interleaved({
      a: 'ok X X X X ok ok ok ok ok ok',
      b: 'ok ok ok ok ok ok ok ok ok ok ok',
      c: 'ok ok ok ok ok ok ok ok ok ok ok',
    });
    const groups = computeGroups(ops, OPTS) ?? [];
    expect(groups.map((g) => g.group)).toEqual(['a', 'b', 'c']);
    const [a, b, c] = groups;
    // Group a's first ok after its failures is its op 5, the 16th op overall: started at 1500 ms,
    // answered (t_recovered) 1 ms later.
    expect(a?.rto).toMatchObject({ impact: true, recoveredAtMs: 1501, rtoMs: 1251, failedOps: 4 });
    expect(b?.rto).toMatchObject({ impact: false, rtoMs: null });
    expect(c?.rto.impact).toBe(false);
    // The whole stream counts b's op at 1300 ms (answered at 1301), right after a's last failure, as the
    // recovery; the probe's RTO is group a's own.
    const whole = computeRto(ops, OPTS);
    expect(whole.recoveredAtMs).toBe(1301);
    expect(groupedRto(whole, groups, OPTS.tInjectMs)).toMatchObject({
      recoveredAtMs: 1501,
      rtoMs: 1251,
      failedOps: 4,
    });
  });

  it('never recovered when a group hit by the fault never recovered', () => {
    const ops = interleaved({ a: 'ok X X X X X X X', b: 'ok ok ok ok ok ok ok ok' });
    const groups = computeGroups(ops, OPTS) ?? [];
    expect(groupedRto(computeRto(ops, OPTS), groups, OPTS.tInjectMs)).toMatchObject({
      rtoMs: null,
      impact: true,
    });
  });

  it('counts the acknowledged and lost writes of each group from the keys read back', () => {
    const ops = interleaved({ a: 'ok ok T X ok', b: 'ok ok ok ok ok' });
    const present = new Set(['a:0', 'a:4', 'a:2', 'b:0', 'b:1', 'b:2', 'b:3', 'b:4']);
    const [a, b] = computeGroups(ops, OPTS, present) ?? [];
    // a:1 was acknowledged (at 200 ms, before the fault) and is missing; a:2 timed out (not counted).
    expect(a?.rpo).toEqual({ acknowledged: 3, lost: 1, lostAfterInject: 0 });
    expect(b?.rpo).toEqual({ acknowledged: 5, lost: 0, lostAfterInject: 0 });
  });
});
