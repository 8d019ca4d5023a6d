// Where a run's wall time went, from its report's events: each `phase` event starts a phase that
// lasts until the next one (or the `done` event that ends teardown, or the end of the run), and
// each phase falls into one bucket of the breakdown. Numbers only; bench/suite-time.ts prints them.

import type { RunEvent } from '../src/core/types.js';

/** The columns of the breakdown, in the order a run goes through them. */
export const BUCKETS = [
  'bring-up',
  'steady',
  'fault',
  'observe',
  'verify',
  'settle',
  'teardown',
  'other',
] as const;
export type Bucket = (typeof BUCKETS)[number];

export type Breakdown = Record<Bucket, number>;

/** A run phase's bucket: `inject` and `recover` are the fault, `heal` and `settle` lie between iterations. */
const BUCKET_OF: Readonly<Record<string, Bucket>> = {
  starting: 'bring-up',
  'bring-up': 'bring-up',
  steady: 'steady',
  inject: 'fault',
  recover: 'fault',
  observe: 'observe',
  verify: 'verify',
  heal: 'settle',
  settle: 'settle',
  teardown: 'teardown',
};

export function emptyBreakdown(): Breakdown {
  return Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Breakdown;
}

/**
 * The breakdown of one run of `wallMs` (the run's own clock, report.json `wallMs`). Time before the
 * first phase event counts as bring-up (the sweep, the run directory); time after `done` is other.
 */
export function breakdownOf(events: readonly RunEvent[], wallMs: number): Breakdown {
  const out = emptyBreakdown();
  let phase = 'starting';
  let since = 0;
  const close = (until: number) => {
    out[BUCKET_OF[phase] ?? 'other'] += Math.max(0, until - since);
    since = until;
  };
  for (const e of events) {
    if (e.type === 'phase' && typeof e.data?.phase === 'string') {
      close(e.tMs);
      phase = e.data.phase;
    } else if (e.type === 'done') {
      close(e.tMs);
      phase = 'after';
    }
  }
  close(Math.max(since, wallMs));
  return out;
}

export function addBreakdowns(a: Breakdown, b: Breakdown): Breakdown {
  const out = emptyBreakdown();
  for (const k of BUCKETS) out[k] = a[k] + b[k];
  return out;
}

/** Phases whose length the scenario fixes (steady, observe, settle) or the system under test does
 * (fault: injection and recovery, bounded by the scenario's timeouts); the rest is the harness's. */
export const SCENARIO_BUCKETS: readonly Bucket[] = ['steady', 'fault', 'observe', 'settle'];

export function harnessShare(b: Breakdown): number {
  return BUCKETS.filter((k) => !SCENARIO_BUCKETS.includes(k)).reduce((a, k) => a + b[k], 0);
}

/** A run as sharing looks at it: which environment with which options on which provider. */
export interface RunShape {
  name: string;
  environment: string;
  provider: string;
  options: unknown;
  phases: Breakdown;
}

/**
 * The most that one bring-up shared by consecutive scenarios of the same environment, options and
 * provider could save: every such follower's bring-up and its predecessor's teardown (before any
 * health check or reset, which would cost time of their own).
 */
export function sharedBringUpBound(runs: readonly RunShape[]): { savedMs: number; pairs: string[] } {
  let savedMs = 0;
  const pairs: string[] = [];
  for (let i = 1; i < runs.length; i++) {
    const a = runs[i - 1] as RunShape;
    const b = runs[i] as RunShape;
    const same =
      a.environment === b.environment &&
      a.provider === b.provider &&
      JSON.stringify(a.options ?? {}) === JSON.stringify(b.options ?? {});
    if (!same) continue;
    savedMs += a.phases.teardown + b.phases['bring-up'];
    pairs.push(`${a.name} -> ${b.name}`);
  }
  return { savedMs, pairs };
}
