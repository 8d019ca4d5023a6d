import { describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../scenario/load.js';
import { evaluateTargets, MIN_OPS, runVerdict } from './evaluate.js';
import { computeMttr, computeRto, summarizePhases } from './metrics.js';
import type { BaselineLookup } from './relative-bound.js';
import type { IterationResult, MetricUnit } from './report-model.js';
import type { OpRecord } from './types.js';

const T_INJECT = 10_000;
const END = 20_000;

/** Ops every `stepMs` over [fromMs, toMs), ok unless they start inside `down`. */
function history(fromMs: number, toMs: number, stepMs: number, down?: [number, number]): OpRecord[] {
  const out: OpRecord[] = [];
  for (let t = fromMs, id = 0; t < toMs; t += stepMs, id++) {
    const failed = down !== undefined && t >= down[0] && t < down[1];
    out.push({ id, startMs: t, endMs: t + 2, outcome: failed ? 'fail' : 'ok', key: `k${id}` });
  }
  return out;
}

/** One iteration measured from an op history exactly as the runner does (minus the I/O). */
function iteration(ops: OpRecord[], present?: (op: OpRecord) => boolean): IterationResult {
  const raw = computeRto(ops, { tInjectMs: T_INJECT, stableForMs: 1000, deadlineMs: T_INJECT + 60_000 });
  const rto = raw.impact ? raw : { ...raw, rtoMs: null, recoveredAtMs: null };
  const acked = ops.filter((o) => o.outcome === 'ok');
  return {
    index: 0,
    tInjectMs: T_INJECT,
    rtoMs: rto.rtoMs,
    recoveredAtMs: rto.recoveredAtMs,
    impact: rto.impact,
    mttdMs: null,
    faults: [],
    recovery: { mode: 'automatic', steps: [] },
    probes: [
      {
        probe: 'writes',
        kind: 'synthetic',
        intervalMs: 100,
        timeoutMs: 500,
        phases: summarizePhases(ops, {
          startMs: 0,
          tInjectMs: T_INJECT,
          recoveredAtMs: raw.recoveredAtMs,
          endMs: END,
        }),
        rto,
        ...(present
          ? {
              rpo: {
                acknowledged: acked.length,
                lost: acked.filter((o) => !present(o)).length,
                lostSample: [],
                lostAfterInject: acked.filter((o) => !present(o) && o.startMs >= T_INJECT).length,
                unknownPresent: 0,
                unknownAbsent: 0,
                rpoMs: 0,
              },
            }
          : {}),
      },
    ],
  };
}

const target = (metric: string, max: number, extra: Partial<ResolvedTarget> = {}): ResolvedTarget => {
  const unit: MetricUnit =
    metric === 'error-rate' ? 'ratio' : /rto|mttr|latency/.test(metric) ? 'ms' : 'count';
  return { metric, unit, bound: max, boundText: String(max), source: 'test', ...extra };
};

function judge(targets: ResolvedTarget[], its: IterationResult[], expectImpact = true) {
  const mttr = computeMttr(its.filter((it) => it.impact).map((it) => it.rtoMs));
  return evaluateTargets(targets, its, mttr, { primaryProbe: 'writes', expectImpact });
}

describe('evaluateTargets', () => {
  it('does not PASS a target over an empty phase: the probe never recovered, so "recovered" holds nothing', () => {
    // Down from the injection to the end: the recovered phase is empty and its error rate "0 %".
    const it0 = iteration(history(0, END, 100, [T_INJECT, END]));
    expect(it0.probes[0]?.phases.recovered.count).toBe(0);
    const [errorRate] = judge([target('error-rate', 0, { phase: 'recovered' })], [it0]);
    // The system never got there: that is a failure of the system, not "0 % errors".
    expect(errorRate).toMatchObject({ verdict: 'fail', measured: null, pass: false });
    expect(errorRate?.note).toMatch(/never recovered, so there is no recovered phase/);
  });

  it.each([
    ['error-rate', 0.5],
    ['latency-p95', 1_000_000],
    ['failed-ops', 1_000_000],
  ] as const)('does not PASS %s over a fault phase too short to hold an operation', (metric, max) => {
    // One failed op right at the injection, then successes: the fault phase lasts one interval.
    const it0 = iteration(history(0, END, 100, [T_INJECT, T_INJECT + 100]));
    expect(it0.probes[0]?.phases.fault.count).toBeLessThan(MIN_OPS);
    const [t] = judge([target(metric, max, { phase: 'fault' })], [it0]);
    expect(t).toMatchObject({ verdict: 'inconclusive', measured: null, pass: false });
    expect(t?.note).toMatch(
      /^not measured: the fault phase holds \d operation\(s\) in iteration 1 \(at least 5 needed\)$/,
    );
  });

  it('does not PASS lost-writes when fewer than the minimum writes were acknowledged', () => {
    const it0 = iteration(history(0, 400, 100, [T_INJECT, END]), () => true);
    const [t] = judge([target('lost-writes', 0)], [it0]);
    expect(t).toMatchObject({ verdict: 'inconclusive' });
    expect(t?.note).toMatch(/acknowledged writes holds 4 operation/);
  });

  it('measures a phase that holds enough operations', () => {
    const it0 = iteration(history(0, END, 100, [T_INJECT, T_INJECT + 2000]));
    const [errorRate, latency] = judge(
      [target('error-rate', 0, { phase: 'recovered' }), target('latency-p95', 100, { phase: 'steady' })],
      [it0],
    );
    expect(errorRate).toMatchObject({ verdict: 'pass', measured: 0 });
    expect(latency?.verdict).toBe('pass');
  });

  it('gives no RTO figure for an iteration without impact, and never PASSes it when impact is expected', () => {
    const it0 = iteration(history(0, END, 100));
    expect(it0.rtoMs).toBeNull();
    expect(it0.impact).toBe(false);
    const results = judge([target('rto', 60_000), target('mttr', 60_000)], [it0]);
    expect(results.map((r) => r.verdict)).toEqual(['inconclusive', 'inconclusive']);
    expect(runVerdict(results, true)).toBe('inconclusive');
  });

  it('counts an RTO of 0 when no impact was the expectation (expectImpact: false)', () => {
    const [rto] = judge([target('rto', 60_000)], [iteration(history(0, END, 100))], false);
    expect(rto).toMatchObject({
      verdict: 'pass',
      measured: 0,
      note: 'no observable impact in any iteration',
    });
  });

  it('fails, not "not measured", an RTO that was never reached', () => {
    const [rto] = judge([target('rto', 60_000)], [iteration(history(0, END, 100, [T_INJECT, END]))]);
    expect(rto).toMatchObject({ verdict: 'fail', measured: null });
    expect(rto?.note).toMatch(/did not recover/);
  });
});

describe('evaluateTargets with a relative bound (maxRegression)', () => {
  // A 2 s outage: RTO 2002 ms (the first op after it answers 2 ms after it started).
  const its = [iteration(history(0, END, 100, [T_INJECT, T_INJECT + 2000]))];
  const FILE = '/tmp/h.jsonl';
  const lookup = (median: number | null, passingRuns = 3): BaselineLookup => ({
    file: FILE,
    passingRuns,
    median: () => (median === null ? null : { n: passingRuns, median, runIds: ['a', 'b', 'c'] }),
  });
  const relative = (max: number | null, text = '+50%'): ResolvedTarget => ({
    ...target('rto', max ?? 0),
    bound: max,
    boundText: max === null ? '' : String(max),
    maxRegression: { text, ratio: Number.parseFloat(text) / 100 },
  });
  const judge = (t: ResolvedTarget, baseline: BaselineLookup | undefined) =>
    evaluateTargets([t], its, computeMttr(its.map((i) => i.rtoMs)), {
      primaryProbe: 'writes',
      expectImpact: true,
      baseline,
    })[0]!;

  it.each([
    {
      name: 'passes within the limit (1.5 × a 1.5 s median = 2.25 s ≥ 2 s)',
      t: relative(60_000),
      baseline: lookup(1500),
      verdict: 'pass',
      regression: 'pass',
      note: /^worst of 1/,
    },
    {
      name: 'fails past the limit, naming the baseline (1.5 × 1 s = 1.5 s < 2 s)',
      t: relative(60_000),
      baseline: lookup(1000),
      verdict: 'fail',
      regression: 'fail',
      note: /^regression against baseline \(median of 3 runs: 1000 ms\): measured 2002 ms > 1500 ms \(\+50%\)/,
    },
    {
      name: 'fails on the absolute bound even when within the relative one',
      t: relative(1000),
      baseline: lookup(1900),
      verdict: 'fail',
      regression: 'pass',
      note: /^worst of 1/,
    },
    {
      name: 'without a baseline leaves the verdict to the absolute bound, and says so',
      t: relative(60_000),
      baseline: lookup(null, 0),
      verdict: 'pass',
      regression: 'inconclusive',
      note: /^no baseline yet: 0 passing runs in \/tmp\/h\.jsonl; the absolute bound decides/,
    },
    {
      name: 'with only a relative bound and no baseline is inconclusive, never a pass',
      t: relative(null),
      baseline: lookup(null, 0),
      verdict: 'inconclusive',
      regression: 'inconclusive',
      note: /^no baseline yet: 0 passing runs in \/tmp\/h\.jsonl; no absolute bound either: inconclusive/,
    },
    {
      name: 'with only a relative bound and passing runs that never measured the metric is inconclusive',
      t: relative(null),
      baseline: lookup(null, 2),
      verdict: 'inconclusive',
      regression: 'inconclusive',
      note: /^no baseline yet: none of the 2 passing runs in \/tmp\/h\.jsonl has a value of rto/,
    },
    {
      name: 'with only a relative bound and a baseline is decided by it',
      t: relative(null, '+10%'),
      baseline: lookup(1900),
      verdict: 'pass',
      regression: 'pass',
      note: /^worst of 1/,
    },
    {
      name: 'without any history read (--no-history) is not checked',
      t: relative(null),
      baseline: undefined,
      verdict: 'inconclusive',
      regression: 'inconclusive',
      note: /^no history was read \(--no-history\)/,
    },
  ])('$name', ({ t, baseline, verdict, regression, note }) => {
    const r = judge(t, baseline);
    expect(r.verdict).toBe(verdict);
    expect(r.pass).toBe(verdict === 'pass');
    expect(r.regression?.verdict).toBe(regression);
    expect(r.note).toMatch(note);
    expect(r.bound).toBe(t.bound);
  });

  it('gives the limit and the baseline it came from', () => {
    expect(judge(relative(60_000, '+25%'), lookup(1000)).regression).toEqual({
      maxRegression: '+25%',
      ratio: 0.25,
      baseline: { n: 3, median: 1000, runIds: ['a', 'b', 'c'] },
      limit: 1250,
      verdict: 'fail',
      note: 'regression against baseline (median of 3 runs: 1000 ms): measured 2002 ms > 1250 ms (+25%)',
    });
  });

  it('keeps a target without a relative bound as it was', () => {
    const r = judge(target('rto', 60_000), lookup(1000));
    expect(r.verdict).toBe('pass');
    expect(r.regression).toBeUndefined();
  });
});
