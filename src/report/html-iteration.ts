// The per-iteration part of report.html: the faults, the recovery, and for each probe its charts,
// its phases and the writes it lost.

import type { IterationResult, ProbeIterationResult, RpoResult } from '../core/report-model.js';
import { atFaultText } from './at-fault-text.js';
import { formatDetail, formatDuration, formatOffset, formatRto, iterationLabel } from './format.js';
import { GROUP_COLUMNS, GROUPS_NOTE, groupRows } from './group-tables.js';
import { html, type SafeHtml } from './html-escape.js';
import { table } from './html-page.js';
import { probeCharts } from './html-timeline.js';
import {
  LOST_KEY_COLUMNS,
  lostKeyRows,
  offsetOrDash,
  PHASE_COLUMNS,
  phaseRows,
  SERIES_COLUMNS,
  seriesRows,
} from './probe-tables.js';

function lostWritesHtml(rpo: RpoResult, tInjectMs: number): SafeHtml {
  const sample =
    rpo.lostSample.length === 0
      ? null
      : html`<p>Lost keys (oldest first${rpo.lost > rpo.lostSample.length ? `, ${rpo.lostSample.length} of ${rpo.lost}` : ''}):</p>${table(
          LOST_KEY_COLUMNS,
          lostKeyRows(rpo.lostSample, tInjectMs).map(([key, ...rest]) => [
            html`<code>${key}</code>`,
            ...rest,
          ]),
        )}`;
  return html`<h4>Lost writes</h4><ul class="facts lost" data-lost="${rpo.lost}">
<li>Lost (acknowledged, missing after recovery): <strong>${rpo.lost}</strong> of ${rpo.acknowledged} acknowledged</li>
<li>Lost and acknowledged after the fault (split brain, or writes to a damaged store that a restore discarded): <strong>${rpo.lostAfterInject}</strong></li>
<li>Timed out, found present: ${rpo.unknownPresent}; found absent: ${rpo.unknownAbsent} (indeterminate, not counted as lost)</li>
<li>RPO window: ${formatDuration(rpo.rpoMs)}</li></ul>${sample}`;
}

function probeHtml(it: IterationResult, p: ProbeIterationResult): SafeHtml {
  const series = seriesRows(p);
  const seriesTable =
    series.length === 0 ? null : html`<h4>Sampled series</h4>${table(SERIES_COLUMNS, series)}`;
  const summary = Object.entries(p.summary ?? {});
  const groups = groupRows(p);
  const groupTable =
    groups.length === 0
      ? null
      : html`<h4>Per group</h4>${table(GROUP_COLUMNS, groups)}<p class="muted">${GROUPS_NOTE}</p>`;
  const rec = p.rto.recoveredAtMs;
  return html`<section class="probe" data-probe="${p.probe}"><h3>Probe <code>${p.probe}</code> <span class="muted">(${p.kind}, every ${formatDuration(p.intervalMs)}, timeout ${formatDuration(p.timeoutMs)})</span></h3>
<ul class="facts"><li>RTO: <strong>${formatRto(p.rto.rtoMs, p.rto.impact)}</strong>${rec === null ? '' : ` (recovered at ${formatOffset(rec)})`}</li>
<li>Impact: ${p.rto.impact ? 'yes' : 'none observed'}; failed or timed-out operations after the fault: ${p.rto.failedOps}</li>
<li>First failure: ${offsetOrDash(p.rto.firstFailureMs)}; last failure: ${offsetOrDash(p.rto.lastFailureMs)}</li>${p.atFault ? html`<li>${atFaultText(p.atFault)}</li>` : null}</ul>
${probeCharts(it, p)}${table(PHASE_COLUMNS, phaseRows(p))}${groupTable}${p.rpo ? lostWritesHtml(p.rpo, it.tInjectMs) : null}${seriesTable}${
  summary.length === 0
    ? null
    : html`<h4>Probe summary</h4><ul class="facts">${summary.map(([k, v]) => html`<li>${k}: ${formatDetail(v)}</li>`)}</ul>`
}</section>`;
}

export function iterationHtml(it: IterationResult): SafeHtml {
  const r = it.recovery;
  const faults =
    it.faults.length === 0
      ? null
      : table(
          [
            'Kind',
            'Description',
            'Reversible',
            { label: 'Injected at', num: true },
            { label: 'Ended at', num: true },
            'Details',
          ],
          it.faults.map((f) => [
            f.kind,
            f.description,
            f.reversible ? 'yes' : 'no',
            formatOffset(f.injectedAtMs),
            offsetOrDash(f.endedAtMs),
            formatDetail(f.details),
          ]),
        );
  const steps =
    r.steps.length === 0
      ? null
      : table(
          ['Step', { label: 'Started', num: true }, { label: 'Duration', num: true }, 'Detail'],
          r.steps.map((s) => [
            s.name,
            formatOffset(s.startMs),
            formatDuration(s.endMs - s.startMs),
            s.detail ?? '',
          ]),
        );
  const details = Object.entries(r.details ?? {});
  return html`<section class="iteration" id="iteration-${it.index + 1}"><h2>Iteration ${iterationLabel(it.index, it.name)}: RTO ${formatRto(it.rtoMs, it.impact)}</h2>
<p>Fault injected at ${formatOffset(it.tInjectMs)} (t_inject)${it.detectedAtMs == null ? '' : `, detected at ${formatOffset(it.detectedAtMs)}`}${it.recoveredAtMs === null ? '' : `, recovered at ${formatOffset(it.recoveredAtMs)}`}. Times are on the run clock, from the start of the run.</p>
${it.error ? html`<p class="box error"><strong>Error in this iteration:</strong> ${it.error}</p>` : null}${faults}
<p><strong>Recovery:</strong> ${r.mode}${r.action ? html` (action <code>${r.action}</code>)` : null}</p>${steps}${
    details.length === 0
      ? null
      : html`<ul class="facts">${details.map(([k, v]) => html`<li>${k}: ${formatDetail(v)}</li>`)}</ul>`
  }${it.probes.map((p) => probeHtml(it, p))}</section>`;
}
