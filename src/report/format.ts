// Number and time formatting shared by every human-readable writer, so the console summary and
// report.md never disagree on how a value reads.

import type {
  IterationResult,
  MetricUnit,
  ProbeSchedule,
  RunReport,
  TargetResult,
  Verdict,
} from '../core/report-model.js';
import { type PrimarySchedule, primarySchedule } from './iteration-facts.js';

/**
 * Three significant digits, so figures side by side read alike ("1.40 s" next to "1.59 s", not
 * "1.4 s"); a value that rounds to a whole number is shown whole ("2 s", "250 ms"); no exponents.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  // Past three digits, rounding to an integer is already enough precision and stays exact.
  if (Math.abs(value) >= 100) return String(Math.round(value));
  const rounded = Number(value.toPrecision(3));
  if (Number.isInteger(rounded)) return String(rounded);
  // toPrecision keeps the trailing zeros; below 1e-6 it would switch to an exponent.
  return Math.abs(value) < 1e-6 ? String(rounded) : value.toPrecision(3);
}

/**
 * A duration as a person would say it: 250 → "250 ms", 1843 → "1.84 s", 312000 → "5 min 12 s",
 * 14_400_000 → "4 h". Precision shrinks with magnitude because nobody needs milliseconds of a
 * four-hour restore.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  const small = Number(ms.toPrecision(3));
  if (small < 1000) return `${formatNumber(ms)} ms`;
  const seconds = Number((ms / 1000).toPrecision(3));
  if (seconds < 60) return `${formatNumber(ms / 1000)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const min = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const parts: string[] = [];
  if (h > 0) parts.push(`${h} h`);
  if (min > 0) parts.push(`${min} min`);
  // Seconds stop mattering once hours are involved.
  if (s > 0 && h === 0) parts.push(`${s} s`);
  return parts.join(' ') || '0 s';
}

/** A duration that may be missing, with the reason to show instead. */
export function formatMaybeDuration(ms: number | null | undefined, missing = '—'): string {
  return ms === null || ms === undefined ? missing : formatDuration(ms);
}

/** An RTO as every writer shows it: no figure when the fault had no observable effect. */
/**
 * The Impact column: "yes" when operations failed; for a latency fault, the median's rise it
 * caused ("latency +12 ms (p50, writes)") or that it showed none; else "none observed".
 */
export function impactText(it: Pick<IterationResult, 'impact' | 'latencyEffect'>): string {
  if (it.impact) return 'yes';
  const e = it.latencyEffect;
  if (!e) return 'none observed';
  if (e.probe === null || e.riseMs === null) return 'latency: not measurable (too few operations)';
  const rise = `${e.riseMs >= 0 ? '+' : ''}${Math.round(e.riseMs * 10) / 10} ms`;
  return e.seen
    ? `latency ${rise} (p50, ${e.probe}; ${e.addedMs} ms added)`
    : `none: latency ${rise} (p50, ${e.probe}) < ${e.neededMs} ms needed`;
}

export function formatRto(rtoMs: number | null, impact: boolean): string {
  if (!impact) return 'no impact';
  return formatMaybeDuration(rtoMs, 'never recovered');
}

/** A ratio in [0, 1] as a percentage: 0.0123 → "1.23%". */
export function formatPercent(ratio: number): string {
  return `${formatNumber(ratio * 100)}%`;
}

/** A run-clock timestamp relative to run start: 12345 → "+12.345s". */
export function formatOffset(tMs: number): string {
  if (!Number.isFinite(tMs)) return String(tMs);
  const sign = tMs < 0 ? '-' : '+';
  return `${sign}${(Math.abs(tMs) / 1000).toFixed(3)}s`;
}

/** A metric value in its unit: ms → duration, count → integer, ratio → percent. */
export function formatValue(value: number, unit: MetricUnit): string {
  switch (unit) {
    case 'ms':
      return formatDuration(value);
    case 'count':
      return String(Math.round(value));
    case 'ratio':
      return formatPercent(value);
  }
}

/** The measured value of a target, or the measurement's own explanation when there is none. */
export function formatMeasured(target: TargetResult): string {
  if (target.measured === null) return target.measuredText || 'not measured';
  return formatValue(target.measured, target.unit);
}

/**
 * Bounds are upper limits: a target passes when measured <= bound. A relative bound reads with its
 * limit and baseline when there is one: "≤ 5 min and ≤ 2.40 s (baseline 1.60 s +50%)".
 */
export function formatBound(target: TargetResult): string {
  const parts: string[] = [];
  if (target.bound !== null) parts.push(`≤ ${formatValue(target.bound, target.unit)}`);
  const r = target.regression;
  if (r) {
    parts.push(
      r.limit === null || r.baseline === null
        ? `≤ baseline ${r.maxRegression} (no baseline yet)`
        : `≤ ${formatValue(r.limit, target.unit)} (baseline ${formatValue(r.baseline.median, target.unit)} ${r.maxRegression})`,
    );
  }
  return parts.join(' and ') || '—';
}

/** The bound as the scenario wrote it: "5m", "5m and baseline +50%", "baseline +50%". */
export function boundAsWritten(target: TargetResult): string {
  const r = target.regression;
  return [target.boundText, r ? `baseline ${r.maxRegression}` : ''].filter(Boolean).join(' and ');
}

/** "rto (fault) write" — the metric with whatever narrows it. */
export function targetLabel(target: TargetResult): string {
  let label = target.metric;
  if (target.phase) label += ` (${target.phase})`;
  if (target.probe) label += ` ${target.probe}`;
  return label;
}

/**
 * Iteration indexes in reports and events are 0-based (as the runner counts); people count from 1.
 * With the scenario's name for it: "2 (header)".
 */
export function iterationLabel(index: number, name?: string): string {
  return name ? `${index + 1} (${name})` : String(index + 1);
}

/** What a verdict means, in the words every writer puts after it. */
export const VERDICT_MEANING: Record<Verdict, string> = {
  pass: 'every target passed',
  fail: 'at least one target failed',
  inconclusive: 'at least one target could not be decided (e.g. the fault had no observable effect)',
  error: 'the harness could not run or measure; nothing here is evidence of recovery',
};

export function verdictLabel(verdict: Verdict): string {
  return verdict.toUpperCase();
}

/**
 * Compact one-line rendering of free-form details for tables and lists: numbers with three
 * significant digits (integers whole), lists and objects as "a, b" and "key: value" (never JSON).
 */
export function formatDetail(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : formatNumber(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (depth > 4) return '…';
  if (Array.isArray(value)) return value.map((v) => formatDetail(v, depth + 1)).join(', ') || '—';
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const text = formatDetail(v, depth + 1);
      return `${k}: ${typeof v === 'object' && v !== null ? `(${text})` : text}`;
    });
    return parts.join(', ') || '—';
  }
  return String(value);
}

/**
 * A probe's schedule in one line: "49.9 of 50 ops/s achieved; schedule lag p50 0.41 ms, p99 1.2 ms,
 * max 3.1 ms; 0 of 1500 operations (0%) more than one interval late".
 */
export function formatSchedule(s: ProbeSchedule): string {
  const rate = `${formatNumber(s.achievedPerSec)} of ${formatNumber(s.requestedPerSec)} ops/s achieved`;
  if (s.lagP99Ms === null) return `${rate}; schedule lag not recorded (the kind keeps its own schedule)`;
  const lag = `p50 ${formatMaybeDuration(s.lagP50Ms)}, p99 ${formatDuration(s.lagP99Ms)}, max ${formatMaybeDuration(s.lagMaxMs)}`;
  const missed = s.missed > 0 ? `, ${s.missed} of them never started` : '';
  return `${rate}; schedule lag ${lag}; ${s.late} of ${s.scheduled} operations (${formatPercent(s.lateShare)}) more than one interval late${missed}`;
}

/** The sentence every report carries about the primary probe's schedule (its worst iteration). */
export function formatPrimarySchedule(report: RunReport): string {
  const ps: PrimarySchedule | undefined = primarySchedule(report);
  if (!ps) {
    const name = report.primaryProbe ? ` "${report.primaryProbe}"` : '';
    const why = report.iterations.length === 0 ? 'no iteration completed' : 'not in this report';
    return `primary probe${name}: schedule not measured (${why})`;
  }
  const which =
    ps.iterations > 1 ? ` (worst of ${ps.iterations} iterations: ${iterationLabel(ps.iteration)})` : '';
  return `primary probe "${ps.probe}" (every ${formatDuration(ps.intervalMs)}): ${formatSchedule(ps.schedule)}${which}`;
}
