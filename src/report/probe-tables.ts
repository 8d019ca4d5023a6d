// A probe's tables as rows of text (phases, sampled series, lost keys), the same in report.md and
// report.html; each writer only puts them in its own markup.

import { PHASES, type ProbeIterationResult, type RpoResult } from '../core/report-model.js';
import { formatDuration, formatMaybeDuration, formatNumber, formatOffset, formatPercent } from './format.js';

export interface Column {
  label: string;
  /** A figure: right-aligned. */
  num?: boolean;
}

const figure = (label: string): Column => ({ label, num: true });

export const PHASE_COLUMNS: readonly Column[] = [
  { label: 'Phase' },
  ...['Ops', 'OK', 'Failed', 'Unknown', 'Error rate', 'p50', 'p95', 'p99', 'max', 'Phase length'].map(figure),
];

export function phaseRows(p: ProbeIterationResult): string[][] {
  return PHASES.map((phase) => {
    const l = p.phases[phase];
    return [
      phase,
      String(l.count),
      String(l.ok),
      String(l.failed),
      String(l.unknown),
      formatPercent(l.errorRate),
      formatMaybeDuration(l.p50Ms),
      formatMaybeDuration(l.p95Ms),
      formatMaybeDuration(l.p99Ms),
      formatMaybeDuration(l.maxMs),
      formatDuration(l.durationMs),
    ];
  });
}

export const SERIES_COLUMNS: readonly string[] = ['Series', 'Phase', 'Samples', 'p50', 'p95', 'max'];

/** Series carry no unit in the model; a name ending in "Ms" is the convention for durations. */
function seriesValue(name: string, value: number | null): string {
  if (value === null) return '—';
  return /ms$/i.test(name) ? formatDuration(value) : formatNumber(value);
}

/** A row per series and phase; none when the probe samples no series. */
export function seriesRows(p: ProbeIterationResult): string[][] {
  return Object.entries(p.series ?? {}).flatMap(([name, byPhase]) =>
    PHASES.map((phase) => {
      const s = byPhase[phase];
      return [
        name,
        phase,
        String(s.count),
        seriesValue(name, s.p50),
        seriesValue(name, s.p95),
        seriesValue(name, s.max),
      ];
    }),
  );
}

export const LOST_KEY_COLUMNS: readonly Column[] = [
  { label: 'Key' },
  figure('Acknowledged at'),
  { label: 'Relative to fault' },
];

export function lostKeyRows(sample: RpoResult['lostSample'], tInjectMs: number): [string, string, string][] {
  return sample.map((k) => {
    const delta = k.ackMs - tInjectMs;
    return [
      k.key,
      formatOffset(k.ackMs),
      `${delta > 0 ? 'after' : 'before'} fault by ${formatDuration(Math.abs(delta))}`,
    ];
  });
}

/** A run-clock offset, or "—" when there is none. */
export function offsetOrDash(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : formatOffset(ms);
}
