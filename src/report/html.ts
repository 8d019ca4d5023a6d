// report.html: the run as one page a person opens from the run directory, offline: the verdict,
// the targets, charts of every probe in every iteration, lost writes and the facts. Measures
// nothing: every figure comes from the report, formatted as report.md formats it.

import type { RunReport } from '../core/report-model.js';
import {
  formatBound,
  formatDuration,
  formatMaybeDuration,
  formatMeasured,
  formatOffset,
  formatPrimarySchedule,
  formatRto,
  impactText,
  iterationLabel,
  targetLabel,
  VERDICT_MEANING,
  verdictLabel,
} from './format.js';
import { html, type SafeHtml } from './html-escape.js';
import { historyHtml } from './html-history.js';
import { iterationHtml } from './html-iteration.js';
import { page, table, verdictBadge, verdictText } from './html-page.js';
import { lostWrites, lostWritesText, primaryProbe, recoveryStepsText } from './iteration-facts.js';
import { factRows } from './run-facts.js';

function header(r: RunReport): SafeHtml {
  const x = r.expectation;
  const expectation = x
    ? html`<p class="box ${x.met ? 'met' : 'not-met'}" data-expectation="${x.outcome}"><strong>Expected: ${x.verdict.toUpperCase()}${x.failing ? ` on ${x.failing.join(', ')}` : ''}: ${x.met ? 'behaved as declared' : 'did NOT behave as declared'}</strong> — ${x.message}.</p>`
    : null;
  const error = r.error
    ? html`<p class="box error"><strong>${r.verdict === 'error' ? 'Error' : 'Note'}</strong> <code>${r.error.code}</code>: ${r.error.message}</p>`
    : null;
  return html`<header><h1>${verdictBadge(r.verdict)} ${r.scenario.name}</h1>
<p class="verdict" data-verdict="${r.verdict}"><strong>Verdict: ${verdictLabel(r.verdict)}</strong> (exit code ${r.exitCode}) — ${VERDICT_MEANING[r.verdict]}.</p>
${expectation}${error}${r.scenario.description ? html`<p>${r.scenario.description}</p>` : null}
<ul class="facts"><li>Scenario file: <code>${r.scenario.file}</code></li>
<li>Environment: <code>${r.environment.name}</code>, provider ${r.environment.provider}</li>
<li>Started ${r.startedAt}, finished ${r.finishedAt} (wall time ${formatDuration(r.wallMs)})</li>
<li>Iterations: ${r.iterations.length} of ${r.repeat} requested</li>
<li>Schedule: ${formatPrimarySchedule(r)}</li>
<li>Run directory: <code>${r.runDir}</code></li></ul></header>`;
}

function targets(r: RunReport): SafeHtml {
  if (r.targets.length === 0) return html`<h2>Targets</h2><p>No target was evaluated.</p>`;
  return html`<h2>Targets</h2>${table(
    ['Metric', { label: 'Bound', num: true }, { label: 'Measured', num: true }, 'Pass', 'Source'],
    r.targets.map((t) => [
      targetLabel(t),
      formatBound(t),
      formatMeasured(t),
      html`${verdictText(t.verdict)}${t.note ? ` — ${t.note}` : ''}`,
      t.source,
    ]),
  )}`;
}

function iterationsTable(r: RunReport): SafeHtml {
  if (r.iterations.length === 0) return html`<h2>Iterations</h2><p>No iteration ran.</p>`;
  const withMttd = r.iterations.some((it) => it.mttdMs !== null);
  const withRpo = r.iterations.some((it) => lostWrites(it) !== null);
  const num = (label: string) => ({ label, num: true });
  const columns = [
    'Iteration',
    num('RTO'),
    'Impact',
    num('Recovered at'),
    num('Failed ops'),
    num('Lost writes'),
    ...(withRpo ? [num('RPO window')] : []),
    ...(withMttd ? [num('MTTD')] : []),
    'Recovery steps',
  ];
  const rows = r.iterations.map((it) => {
    const lost = lostWrites(it);
    return [
      html`<a href="#iteration-${it.index + 1}">${iterationLabel(it.index, it.name)}</a>${it.error ? ' (error)' : ''}`,
      formatRto(it.rtoMs, it.impact),
      impactText(it),
      it.recoveredAtMs === null ? '—' : formatOffset(it.recoveredAtMs),
      String(primaryProbe(it)?.rto.failedOps ?? '—'),
      lostWritesText(lost),
      ...(withRpo ? [lost ? formatDuration(lost.windowMs) : '—'] : []),
      ...(withMttd ? [formatMaybeDuration(it.mttdMs)] : []),
      recoveryStepsText(it.recovery.steps),
    ];
  });
  const m = r.mttr;
  const mttr =
    m === null
      ? html`<p>MTTR not computed: no iteration recovered.</p>`
      : table(
          ['MTTR over', 'Mean', 'Median', 'Min', 'Max'].map((label) => ({ label, num: true })),
          [
            [
              `${m.n} iteration${m.n === 1 ? '' : 's'}`,
              ...[m.meanMs, m.medianMs, m.minMs, m.maxMs].map(formatDuration),
            ],
          ],
        );
  return html`<h2>Iterations</h2>${table(columns, rows)}${mttr}`;
}

function events(r: RunReport): SafeHtml {
  if (r.events.length === 0) return html`<h2>Events</h2><p>No events were recorded.</p>`;
  return html`<h2>Events</h2><details><summary>${r.events.length} events, on the run clock from the start of the run</summary>${table(
    [{ label: 't', num: true }, 'Iteration', 'Event', 'Message'],
    r.events.map((e) => [
      formatOffset(e.tMs),
      e.iteration === undefined ? '' : iterationLabel(e.iteration),
      e.type,
      e.message,
    ]),
  )}</details>`;
}

function facts(r: RunReport): SafeHtml {
  return html`<h2>Facts</h2>${table(['Fact', 'Value'], factRows(r.facts))}`;
}

function definitions(r: RunReport): SafeHtml {
  return html`<h2>How the metrics are defined</h2><ul class="facts">${Object.entries(r.definitions).map(
    ([name, text]) => html`<li><strong>${name}</strong>: ${text}</li>`,
  )}<li><strong>RTO resolution</strong>: ${formatDuration(r.probeIntervalMs)} (the probe interval); an RTO is exact to within this.</li>
<li><strong>Stable for</strong>: ${formatDuration(r.stableForMs)}; recovery needs a run of successes at least this long.</li></ul>`;
}

export function renderHtml(r: RunReport): string {
  const body = html`${header(r)}${targets(r)}${historyHtml(r)}${iterationsTable(r)}${r.iterations.map(iterationHtml)}${facts(r)}${events(r)}${definitions(r)}
<footer>${r.tool.name} ${r.tool.version}: report.html, drawn from the same data as report.json. It loads nothing from anywhere.</footer>`;
  return page(`${verdictLabel(r.verdict)}: ${r.scenario.name}`, body);
}
