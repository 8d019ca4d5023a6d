// Targets → verdicts. Pure: takes measured iterations, returns per-target results.

import type { ResolvedTarget } from '../scenario/load.js';
import { type BaselineLookup, judgeRegression } from './relative-bound.js';
import type {
  IterationResult,
  MttrResult,
  PhaseName,
  ProbeIterationResult,
  TargetResult,
  Verdict,
} from './report-model.js';
import { valueText } from './value-text.js';

const NO_IMPACT = 'the fault had no observable effect (no operation failed or timed out after it)';

/**
 * A phase (or a set of writes) with fewer operations than this measures nothing: its target is
 * "not measured" and INCONCLUSIVE, never PASS (an empty fault phase has a 0 % error rate).
 */
export const MIN_OPS = 5;

function probeOf(
  it: IterationResult,
  t: ResolvedTarget,
  primary: string,
  needRpo = false,
): ProbeIterationResult | undefined {
  if (t.probe) return it.probes.find((p) => p.probe === t.probe);
  if (needRpo) return it.probes.find((p) => p.probe === primary && p.rpo) ?? it.probes.find((p) => p.rpo);
  return it.probes.find((p) => p.probe === primary);
}

/** Metrics that read written data back: judged on a probe that verifies writes. */
const readsBack = (metric: string) =>
  metric.startsWith('rpo') || metric.startsWith('lost') || STREAM_METRICS.has(metric);

/** Metrics of a stream's read-back (eventbus). */
export const STREAM_METRICS: ReadonlySet<string> = new Set([
  'duplicate-events',
  'out-of-order-events',
  'drain-time',
]);

/**
 * The probes whose figures decide an iteration's targets: the primary probe, and the probe each
 * target judges. Their instruments must be trustworthy (probe-health.ts) for any verdict at all.
 */
export function judgedProbes(
  targets: readonly ResolvedTarget[],
  it: IterationResult,
  primary: string,
): ProbeIterationResult[] {
  const judged = new Set<ProbeIterationResult>();
  const main = it.probes.find((p) => p.probe === primary);
  if (main) judged.add(main);
  for (const t of targets) {
    const p = probeOf(it, t, primary, readsBack(t.metric));
    if (p) judged.add(p);
  }
  return [...judged];
}

interface Measured {
  value: number | null;
  note?: string;
  /** Could not be measured because of the harness or the scenario (not the system under test). */
  error?: boolean;
  /** A time that was not reached (never recovered): a failure of the system, not of the harness. */
  notReached?: boolean;
  /** Too few operations to mean anything: INCONCLUSIVE. */
  notMeasured?: boolean;
}

/**
 * A probe that never recovered has no recovered phase: a target on it fails (the system did not
 * get there), rather than being "not measured".
 */
function neverRecovered(ps: readonly ProbeIterationResult[], phase: PhaseName): Measured | undefined {
  if (phase !== 'recovered' || !ps.some((p) => p.rto.impact && p.rto.rtoMs === null)) return undefined;
  return { value: null, notReached: true, note: 'never recovered, so there is no recovered phase' };
}

/** Why a phase target has nothing to judge (never recovered, or too few operations), if so. */
function unmeasuredPhase(ps: readonly ProbeIterationResult[], phase: PhaseName): Measured | undefined {
  return (
    neverRecovered(ps, phase) ??
    tooFew(
      ps.map((p) => p.phases[phase].count),
      `the ${phase} phase`,
    )
  );
}

/** "Not measured" when some iteration has fewer than MIN_OPS operations in what the target judges. */
function tooFew(counts: readonly number[], what: string): Measured | undefined {
  const i = counts.findIndex((n) => n < MIN_OPS);
  if (i < 0) return undefined;
  return {
    value: null,
    notMeasured: true,
    note: `not measured: ${what} holds ${counts[i]} operation(s) in iteration ${i + 1} (at least ${MIN_OPS} needed)`,
  };
}

const worst = (xs: number[]) => (xs.length ? Math.max(...xs) : null);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function measure(
  t: ResolvedTarget,
  its: readonly IterationResult[],
  mttr: MttrResult | null,
  primary: string,
): Measured {
  const probes = its.map((it) => probeOf(it, t, primary, readsBack(t.metric)));
  if (probes.some((p) => p === undefined)) {
    return {
      value: null,
      error: true,
      note: `no probe ${t.probe ? `"${t.probe}"` : 'with this measurement'}`,
    };
  }
  const ps = probes as ProbeIterationResult[];
  const phase: PhaseName | undefined = t.phase;
  switch (t.metric) {
    case 'rto': {
      // An iteration without impact has no RTO figure; with expectImpact: false its RTO counts as 0.
      const hit = ps.filter((p) => p.rto.impact);
      if (hit.some((p) => p.rto.rtoMs === null)) {
        return { value: null, notReached: true, note: 'did not recover within the recovery timeout' };
      }
      if (hit.length === 0) return { value: 0, note: 'no observable impact in any iteration' };
      const rtos = hit.map((p) => p.rto.rtoMs as number);
      const quiet = ps.length - hit.length;
      return {
        value: worst(rtos),
        note: `worst of ${rtos.length} iteration(s)${quiet ? `; ${quiet} without impact` : ''}`,
      };
    }
    case 'mttr':
      if (its.some((it) => it.impact && it.rtoMs === null)) {
        return {
          value: null,
          notReached: true,
          note: 'an iteration did not recover within the recovery timeout',
        };
      }
      return mttr
        ? { value: mttr.meanMs, note: `mean of ${mttr.n}` }
        : { value: 0, note: 'no observable impact in any iteration' };
    case 'rpo':
    case 'lost-writes':
    case 'lost-writes-after-fault': {
      if (ps.some((p) => !p.rpo))
        return { value: null, error: true, note: 'the probe does not read writes back' };
      const r = ps.map((p) => p.rpo!);
      // Split brain is judged on the writes attempted after the fault (refused ones count: a
      // master that refuses writes loses none), the rest on the acknowledged writes.
      const thin =
        t.metric === 'lost-writes-after-fault'
          ? tooFew(
              ps.map((p) => p.phases.fault.count + p.phases.recovered.count),
              'the writes attempted after the fault',
            )
          : tooFew(
              r.map((x) => x.acknowledged),
              'the acknowledged writes',
            );
      if (thin) return thin;
      if (t.metric === 'rpo') return { value: worst(r.map((x) => x.rpoMs)), note: 'worst iteration' };
      if (t.metric === 'lost-writes') {
        return {
          value: sum(r.map((x) => x.lost)),
          note: `of ${sum(r.map((x) => x.acknowledged))} acknowledged`,
        };
      }
      return { value: sum(r.map((x) => x.lostAfterInject)), note: 'acknowledged after the fault, then lost' };
    }
    case 'duplicate-events':
    case 'out-of-order-events':
    case 'drain-time': {
      if (ps.some((p) => !p.stream || !p.rpo))
        return { value: null, error: true, note: 'the probe does not read a stream back' };
      const st = ps.map((p) => p.stream!);
      if (t.metric !== 'drain-time') {
        const thin = tooFew(
          ps.map((p) => p.rpo!.acknowledged),
          'the acknowledged events',
        );
        if (thin) return thin;
        return t.metric === 'duplicate-events'
          ? {
              value: sum(st.map((s) => s.duplicated)),
              note: `of ${sum(st.map((s) => s.inStream))} in the stream`,
            }
          : { value: sum(st.map((s) => s.outOfOrder)), note: 'all iterations' };
      }
      const none = st.findIndex((s) => s.episodes.length === 0);
      if (none >= 0)
        return {
          value: null,
          notMeasured: true,
          note: `not measured: the bus buffered nothing in iteration ${none + 1}`,
        };
      if (st.some((s) => s.episodes.some((e) => e.emptyMs === null)))
        return { value: null, notReached: true, note: 'a buffer did not drain before the read-back gave up' };
      return {
        value: worst(st.map((s) => s.drainMs as number)),
        note: `worst of ${sum(st.map((s) => s.episodes.length))} buffer episode(s)`,
      };
    }
    case 'error-rate': {
      const ph = phase ?? 'fault';
      const thin = unmeasuredPhase(ps, ph);
      if (thin) return thin;
      return { value: worst(ps.map((p) => p.phases[ph].errorRate)), note: `${ph} phase, worst iteration` };
    }
    case 'failed-ops': {
      if (phase) {
        const thin = unmeasuredPhase(ps, phase);
        if (thin) return thin;
        return {
          value: sum(ps.map((p) => p.phases[phase].failed + p.phases[phase].unknown)),
          note: `${phase} phase, all iterations`,
        };
      }
      return { value: sum(ps.map((p) => p.rto.failedOps)), note: 'after the fault, all iterations' };
    }
    case 'mttd': {
      const m = its.map((it) => it.mttdMs);
      if (m.some((x) => x === null)) return { value: null, notReached: true, note: 'no detection reported' };
      return { value: worst(m as number[]), note: 'worst iteration' };
    }
    case 'recovery-time': {
      const r = its.map((it) => {
        const s = it.recovery.steps;
        return s.length
          ? (s[s.length - 1] as { endMs: number }).endMs - (s[0] as { startMs: number }).startMs
          : null;
      });
      if (r.some((x) => x === null)) return { value: null, error: true, note: 'no recovery action ran' };
      return { value: worst(r as number[]), note: 'worst iteration' };
    }
    case 'restore-rows-lost':
    case 'restore-checksum-mismatches': {
      const v = its.map((it) => it.recovery.verification);
      if (v.some((x) => x === undefined))
        return { value: null, error: true, note: 'the recovery action verified nothing it restored' };
      const vs = v as NonNullable<(typeof v)[number]>[];
      if (vs.some((x) => x.rowsCompared < MIN_OPS))
        return {
          value: null,
          notMeasured: true,
          note: `not measured: a restore compared fewer than ${MIN_OPS} rows`,
        };
      const rows = sum(vs.map((x) => x.rowsCompared));
      return t.metric === 'restore-rows-lost'
        ? { value: sum(vs.map((x) => x.rowsLost)), note: `of ${rows} rows compared` }
        : {
            value: sum(vs.map((x) => x.checksumMismatches)),
            note: `of ${sum(vs.map((x) => x.tablesCompared))} table(s) compared, ${sum(vs.map((x) => x.rowsMatched))} of ${rows} rows matched`,
          };
    }
    default: {
      const lat = /^latency-(p50|p95|p99|max)$/.exec(t.metric);
      if (lat) {
        const ph = phase ?? 'steady';
        const thin = unmeasuredPhase(ps, ph);
        if (thin) return thin;
        const field = `${lat[1]}Ms` as 'p50Ms' | 'p95Ms' | 'p99Ms' | 'maxMs';
        const vals = ps.map((p) => p.phases[ph][field]).filter((v): v is number => v !== null);
        if (vals.length === 0)
          return { value: null, notReached: true, note: `no successful operation in ${ph} phase` };
        return { value: worst(vals), note: `${ph} phase, worst iteration` };
      }
      const ser = /^series-(p95|max):(.+)$/.exec(t.metric);
      if (ser) {
        const [, stat, name] = ser as unknown as [string, 'p95' | 'max', string];
        const vals: number[] = [];
        const counts: number[] = [];
        for (const p of ps) {
          const s = p.series?.[name];
          let n = 0;
          for (const ph of phase ? [phase] : (['steady', 'fault', 'recovered'] as const)) {
            const v = s?.[ph][stat] ?? null;
            n += s?.[ph].count ?? 0;
            if (v !== null) vals.push(v);
          }
          counts.push(n);
        }
        const thin = tooFew(counts, `series "${name}" in the ${phase ?? 'whole'} run`);
        if (thin) return thin;
        return { value: worst(vals), note: `${phase ?? 'all'} phase(s), worst` };
      }
      return { value: null, error: true, note: `unknown metric ${t.metric}` };
    }
  }
}

/** Verdict per target. With expectImpact, a fault with no observable effect makes RTO/MTTR inconclusive. */
export function evaluateTargets(
  targets: readonly ResolvedTarget[],
  iterations: readonly IterationResult[],
  mttr: MttrResult | null,
  opts: {
    primaryProbe: string;
    expectImpact: boolean;
    /** The history's baseline, for targets with a relative bound (maxRegression). */
    baseline?: BaselineLookup | undefined;
  },
): TargetResult[] {
  const noImpact = opts.expectImpact && iterations.some((it) => !it.impact);
  return targets.map((t) => {
    const m = measure(t, iterations, mttr, opts.primaryProbe);
    let verdict: Verdict;
    let note = m.note;
    if (m.error) verdict = 'error';
    else if (m.notMeasured) verdict = 'inconclusive';
    else if (m.value === null) verdict = 'fail';
    else verdict = t.bound === null || m.value <= t.bound ? 'pass' : 'fail';
    const regression = t.maxRegression
      ? judgeRegression({ ...t, maxRegression: t.maxRegression }, m.value, opts.baseline)
      : undefined;
    if (regression && verdict === 'pass') {
      // Without a baseline the absolute bound decides; a target with only a relative one measured
      // nothing it could be judged on, and a target that measured nothing never passes.
      if (regression.verdict === 'fail') verdict = 'fail';
      else if (regression.verdict === 'inconclusive' && t.bound === null) verdict = 'inconclusive';
    }
    if (regression && regression.verdict !== 'pass') {
      const decides =
        regression.verdict === 'inconclusive' && m.value !== null
          ? t.bound === null
            ? '; no absolute bound either: inconclusive'
            : '; the absolute bound decides'
          : '';
      note = [`${regression.note}${decides}`, note].filter(Boolean).join('; ');
    }
    if (noImpact && (t.metric === 'rto' || t.metric === 'mttr') && verdict !== 'error') {
      verdict = 'inconclusive';
      note = NO_IMPACT;
    }
    const r: TargetResult = {
      metric: t.metric,
      unit: t.unit,
      bound: t.bound,
      boundText: t.boundText,
      measured: m.value,
      measuredText: m.notReached && m.value === null ? 'never reached' : valueText(t.unit, m.value),
      verdict,
      pass: verdict === 'pass',
      source: t.source,
    };
    if (t.probe) r.probe = t.probe;
    if (t.phase) r.phase = t.phase;
    if (note) r.note = note;
    if (regression) r.regression = regression;
    return r;
  });
}

/** Run verdict: error beats fail beats inconclusive beats pass. */
export function runVerdict(targets: readonly TargetResult[], noImpact: boolean): Verdict {
  if (targets.some((t) => t.verdict === 'error')) return 'error';
  if (targets.some((t) => t.verdict === 'fail')) return 'fail';
  if (noImpact || targets.some((t) => t.verdict === 'inconclusive')) return 'inconclusive';
  return 'pass';
}

export const DEFINITIONS: Record<string, string> = {
  clock: 'All times come from one monotonic clock. t_inject is when the injector returned.',
  rto: 't_recovered - t_inject, where t_recovered is when the service was first seen answering again: the end of the first successful operation (the earliest end) of the first run of successes after t_inject that lasts at least stableFor with no failure. Operations sent during the outage and held until it ended count from their answer, not from when they were sent. Resolution: the probe interval, plus the latency of that operation.',
  noImpact:
    'If no operation failed or timed out after t_inject, RTO is 0 but the verdict is INCONCLUSIVE unless the scenario declares expectImpact: false.',
  latencyEffect:
    "A latency toxic fails no operation, so with expectImpact: false its effect is checked on latency: in every iteration some probe with at least 5 successful operations in both phases (or a series of it in milliseconds, e.g. replication lag, with 5 samples in both) must have a fault-phase p50 at least half the added round-trip latency (the toxic's latency, twice with direction both) above its steady p50; otherwise the fault had no observable effect and the run is INCONCLUSIVE (NO_IMPACT). Toxics on only some connections (toxicity < 1) are not checked.",
  rpo: 'After recovery every acknowledged write is read back. lost = acknowledged and missing. RPO window = max(t_inject, newest lost ack) - oldest lost ack; 0 when nothing acknowledged is lost. Timed-out writes are indeterminate and never counted as lost.',
  groups:
    "A probe whose operations go to parts of the system (groups: a Redis Cluster's slot ranges) also gets RTO and lost writes per group, each on the group's operations alone; its RTO is then the worst group's (t_recovered the latest of the groups hit by the fault, and not before its whole stream is stable).",
  splitBrain: 'Lost writes acknowledged after t_inject (lost-writes-after-fault).',
  stream:
    "A stream's read-back (eventbus): an event is lost when acknowledged and absent from the stream; duplicate-events counts extra copies; out-of-order-events counts events that stand after one the probe sent only once they were acknowledged. drain-time: per buffer episode (status polls from the first with buffered events to the first with none), from Redis reachable again (the end of a timed fault inside the episode, else the first poll at which the bus reports reaching Redis again) to the empty buffer; the worst episode. Resolution: the status poll interval.",
  mttr: 'Mean of the per-iteration RTOs over the iterations (min, median and max are reported too).',
  mttd: 'Time from t_inject to the first detection reported by the stack or a detection probe.',
  latency:
    'p50/p95/p99/max of successful operation latency per phase (steady = before t_inject, fault = t_inject until t_recovered or, for a fault with its own duration, until it ended if later, recovered = after), from an HDR histogram with 3 significant digits; an operation goes to the phase it started in (so one sent before t_recovered and held by the outage is in the fault phase), except that one still in flight at t_inject belongs to the fault phase; error rate = (failed + timed out) / operations in the phase.',
  counts:
    'Counts (lost writes, failed operations) are summed over iterations; times and rates take the worst iteration.',
  notMeasured: `A target whose phase holds fewer than ${MIN_OPS} operations in some iteration (or whose probe acknowledged fewer than ${MIN_OPS} writes, or attempted fewer than ${MIN_OPS} after the fault for lost-writes-after-fault) is not measured: INCONCLUSIVE, never PASS.`,
  instrument:
    'A probe whose client ended, or that issued fewer than 70% of its scheduled operations over a window of max(2 s, 10 intervals), stopped working: the run is ERROR (PROBE_FAILED) naming the probe, not a FAIL of the system under test.',
  schedule:
    'Schedule lag = the start of an operation minus the slot the open-loop schedule gave it (first slot + n × interval); a slot no operation started for counts as missed. If more than 1% of the slots of the primary probe (or of a probe a target judges) over all the iterations of the run, and at least 3 of them, started more than one interval (and at least 20 ms) late or never, the probe measured its own scheduler (coordinated omission): the run is ERROR (PROBE_BEHIND_SCHEDULE) naming the probe, and no target is judged. Only the start counts: an operation that hangs until its timeout during a fault started on time.',
};
