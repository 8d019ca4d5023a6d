// The per-iteration part of report.md: what was done, how the stack recovered, what each probe saw.

import type { IterationResult, ProbeIterationResult, RpoResult } from '../core/report-model.js';
import { atFaultText } from './at-fault-text.js';
import {
  formatDetail,
  formatDuration,
  formatOffset,
  formatRto,
  formatSchedule,
  iterationLabel,
} from './format.js';
import { GROUP_COLUMNS, GROUPS_NOTE, groupRows } from './group-tables.js';
import { code, inline, table } from './markdown-table.js';
import {
  LOST_KEY_COLUMNS,
  lostKeyRows,
  offsetOrDash,
  PHASE_COLUMNS,
  phaseRows,
  SERIES_COLUMNS,
  seriesRows,
} from './probe-tables.js';

const LOST_SAMPLE_SHOWN = 20;

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
        LOST_KEY_COLUMNS.map((c) => c.label),
        lostKeyRows(shown, tInjectMs),
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
    `- First failure: ${offsetOrDash(p.rto.firstFailureMs)}; last failure: ${offsetOrDash(p.rto.lastFailureMs)}`,
    ...(p.atFault ? [`- ${atFaultText(p.atFault)}`] : []),
    ...(p.schedule ? [`- Schedule: ${formatSchedule(p.schedule)}`] : []),
    '',
    table(
      PHASE_COLUMNS.map((c) => c.label),
      phaseRows(p),
      PHASE_COLUMNS.map((c) => (c.num ? 'right' : 'left')),
    ),
  ];
  const groups = groupRows(p);
  if (groups.length > 0) {
    out.push(
      '',
      '**Per group (RTO and lost writes of each group alone)**',
      '',
      table(
        GROUP_COLUMNS.map((c) => c.label),
        groups,
        GROUP_COLUMNS.map((c) => (c.num ? 'right' : 'left')),
      ),
      '',
      GROUPS_NOTE,
    );
  }
  if (p.rpo) out.push('', '**Written data (RPO)**', '', ...rpoSection(p.rpo, tInjectMs));
  const series = seriesRows(p);
  if (series.length > 0) out.push('', '**Sampled series**', '', table(SERIES_COLUMNS, series));
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
