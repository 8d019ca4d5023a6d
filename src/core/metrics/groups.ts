// RTO and lost writes per group of a probe's operations (OpRecord.group): the same definitions as for
// the whole probe, on each group's operations alone; and the probe's RTO when it has groups.

import type { ProbeGroupResult, RtoResult } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { computeRpo } from './rpo.js';
import { computeRto, type RtoOptions } from './rto.js';

function byGroup(ops: readonly OpRecord[]): Map<string, OpRecord[]> {
  const out = new Map<string, OpRecord[]>();
  for (const op of ops) {
    if (op.group === undefined) continue;
    const list = out.get(op.group);
    if (list) list.push(op);
    else out.set(op.group, [op]);
  }
  return out;
}

/** undefined when no operation carries a group. `present`: the keys read back, for probes that verify. */
export function computeGroups(
  ops: readonly OpRecord[],
  opts: RtoOptions,
  present?: ReadonlySet<string>,
): ProbeGroupResult[] | undefined {
  const groups = byGroup(ops);
  if (groups.size === 0) return undefined;
  // In the order of their names, numbers by value ("slots 0-5460" before "slots 5461-10922" before
  // "slots 10923-16383"), not in the order their first operations happened to end.
  const sorted = [...groups].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  return sorted.map(([group, list]) => {
    const raw = computeRto(list, opts);
    // As for the whole probe: without impact there is no recovery to time.
    const rto = raw.impact ? raw : { ...raw, rtoMs: null, recoveredAtMs: null };
    const r: ProbeGroupResult = { group, ops: list.length, rto };
    if (present) {
      const rpo = computeRpo(list, present, opts.tInjectMs);
      r.rpo = { acknowledged: rpo.acknowledged, lost: rpo.lost, lostAfterInject: rpo.lostAfterInject };
    }
    return r;
  });
}

/**
 * The probe's RTO when its operations carry groups: recovered when every group hit by the fault has
 * recovered on an operation of its own (the worst group), and not before the whole stream is stable.
 * The whole stream alone could count a success of another group, issued right after the last failure,
 * as the recovery of the group that failed: optimistic by up to one round of the groups.
 */
export function groupedRto(
  whole: RtoResult,
  groups: readonly ProbeGroupResult[],
  tInjectMs: number,
): RtoResult {
  const hit = groups.filter((g) => g.rto.impact);
  if (!whole.impact || hit.length === 0) return whole;
  if (whole.recoveredAtMs === null || hit.some((g) => g.rto.recoveredAtMs === null)) {
    return { ...whole, rtoMs: null, recoveredAtMs: null };
  }
  const recoveredAtMs = Math.max(whole.recoveredAtMs, ...hit.map((g) => g.rto.recoveredAtMs as number));
  return { ...whole, recoveredAtMs, rtoMs: recoveredAtMs - tInjectMs };
}
