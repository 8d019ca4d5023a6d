// The per-iteration part of report.md: what was done, how the stack recovered, what each probe saw.

import {
  type IterationResult,
  PHASES,
  type ProbeIterationResult,
  type RpoResult,
} from '../core/report-model.js';
import {
  formatDetail,
  formatDuration,
  formatMaybeDuration,
  formatNumber,
  formatOffset,
  formatPercent,
  formatRto,
  formatSchedule,
  iterationLabel,
} from './format.js';
import { code, inline, table } from './markdown-table.js';

const LOST_SAMPLE_SHOWN = 20;

function offset(ms: number | null): string {
  return ms === null ? '—' : formatOffset(ms);
}

/** Series carry no unit in the model; a name ending in "Ms" is the convention for durations. */
function seriesValue(name: string, value: number | null): string {
  if (value === null) return '—';
  return /ms$/i.test(name) ? formatDuration(value) : formatNumber(value);
}

function rpoSection(rpo: RpoResult, tInjectMs: number): string[] {
  const out = [
    `- Acknowledged writes: ${rpo.acknowledged}`,
    `- Lost (acknowledged, missing after recovery): **${rpo.lost}**`,
    `- Lost and acknowledged after the fault (split brain, or writes to a damaged store that a restore discarded): **${rpo.lostAfterInject}**`,
    `- Timed out, found present: ${rpo.unknownPresent}; found absent: ${rpo.unknownAbsent} (indeterminate, not counted as lost)`,
    `- RPO window: ${formatDuration(rpo.rpoMs)}`,
  ];
  if (rpo.lostSample.length > 0) {
    const shown = rpo.lostSample.slice(0, LOST_SAMPLE_SHOWN);
    const more = rpo.lost - shown.length;
    out.push('', `Lost keys (oldest first${more > 0 ? `, ${shown.length} of ${rpo.lost}` : ''}):`, '');
    out.push(
      table(
        ['Key', 'Acknowledged at', 'Relative to fault'],
        shown.map((k) => {
          const delta = k.ackMs - tInjectMs;
          const rel = `${delta > 0 ? 'after' : 'before'} fault by ${formatDuration(Math.abs(delta))}`;
          return [k.key, formatOffset(k.ackMs), rel];
        }),
      ),
    );
  }
  return out;
}

function probeSection(p: ProbeIterationResult, tInjectMs: number): string[] {
  const out = [
    `#### Probe ${code(p.probe)} (${inline(p.kind)}, every ${formatDuration(p.intervalMs)}, timeout ${formatDuration(p.timeoutMs)})`,
    '',
    `- RTO: ${formatRto(p.rto.rtoMs, p.rto.impact)}` +
      (p.rto.recoveredAtMs === null ? '' : ` (recovered at ${formatOffset(p.rto.recoveredAtMs)})`),
    `- Impact: ${p.rto.impact ? 'yes' : 'none observed'}; failed or timed-out operations after the fault: ${p.rto.failedOps}`,
    `- First failure: ${offset(p.rto.firstFailureMs)}; last failure: ${offset(p.rto.lastFailureMs)}`,
    ...(p.schedule ? [`- Schedule: ${formatSchedule(p.schedule)}`] : []),
    '',
    table(
      ['Phase', 'Ops', 'OK', 'Failed', 'Unknown', 'Error rate', 'p50', 'p95', 'p99', 'max', 'Phase length'],
      PHASES.map((phase) => {
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
      }),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  ];
  if (p.rpo) out.push('', '**Written data (RPO)**', '', ...rpoSection(p.rpo, tInjectMs));
  const series = Object.entries(p.series ?? {});
  if (series.length > 0) {
    const rows = series.flatMap(([name, byPhase]) =>
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
    out.push('', '**Sampled series**', '', table(['Series', 'Phase', 'Samples', 'p50', 'p95', 'max'], rows));
  }
  const summary = Object.entries(p.summary ?? {});
  if (summary.length > 0) {
    out.push('', '**Probe summary**', '', ...summary.map(([k, v]) => `- ${k}: ${inline(formatDetail(v))}`));
  }
  return out;
}

export function iterationSection(it: IterationResult): string {
  const out = [
    `### Iteration ${iterationLabel(it.index, it.name)}`,
    '',
    `Fault injected at ${formatOffset(it.tInjectMs)} (t_inject).`,
  ];
  if (it.error) out.push('', `> **Error in this iteration:** ${inline(it.error)}`);
  if (it.faults.length > 0) {
    out.push(
      '',
      '**Faults**',
      '',
      table(
        ['Kind', 'Description', 'Reversible', 'Injected at', 'Details'],
        it.faults.map((f) => [
          f.kind,
          f.description,
          f.reversible ? 'yes' : 'no',
          formatOffset(f.injectedAtMs),
          formatDetail(f.details),
        ]),
      ),
    );
  }
  const r = it.recovery;
  out.push('', `**Recovery**: ${r.mode}${r.action ? ` (action ${code(r.action)})` : ''}`);
  if (r.steps.length > 0) {
    out.push(
      '',
      table(
        ['Step', 'Started', 'Duration', 'Detail'],
        r.steps.map((s) => [
          s.name,
          formatOffset(s.startMs),
          formatDuration(s.endMs - s.startMs),
          s.detail ?? '',
        ]),
      ),
    );
  }
  const details = Object.entries(r.details ?? {});
  if (details.length > 0) out.push('', ...details.map(([k, v]) => `- ${k}: ${inline(formatDetail(v))}`));
  for (const p of it.probes) out.push('', ...probeSection(p, it.tInjectMs));
  return out.join('\n');
}
