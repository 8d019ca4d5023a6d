// report.md: the record a person reads weeks later without having been at the run.

import type { RunReport } from '../core/report-model.js';
import {
  formatBound,
  formatDetail,
  formatDuration,
  formatMaybeDuration,
  formatMeasured,
  formatOffset,
  formatPrimarySchedule,
  formatRto,
  impactText,
  iterationLabel,
  VERDICT_MEANING,
  verdictLabel,
} from './format.js';
import { lostWrites, lostWritesText, primaryProbe, recoveryStepsText } from './iteration-facts.js';
import { historySection } from './markdown-history.js';
import { iterationSection } from './markdown-iteration.js';
import { code, inline, table } from './markdown-table.js';
import { factRows } from './run-facts.js';

function header(r: RunReport): string[] {
  const out = [
    `# ${verdictLabel(r.verdict)}: ${inline(r.scenario.name)}`,
    '',
    `**Verdict: ${verdictLabel(r.verdict)}** (exit code ${r.exitCode}) — ${VERDICT_MEANING[r.verdict]}.`,
  ];
  const x = r.expectation;
  if (x) {
    const declared = `${x.verdict.toUpperCase()}${x.failing ? ` on ${x.failing.join(', ')}` : ''}`;
    out.push(
      '',
      `**Expected: ${declared}: ${x.met ? 'behaved as declared' : 'did NOT behave as declared'}** — ${inline(x.message)}.`,
    );
  }
  if (r.error) {
    const label = r.verdict === 'error' ? 'Error' : 'Note';
    out.push('', `> **${label}** ${code(r.error.code)}: ${inline(r.error.message)}`);
  }
  if (r.scenario.description) out.push('', inline(r.scenario.description));
  out.push(
    '',
    `- Scenario file: ${code(r.scenario.file)}`,
    `- Started: ${r.startedAt}`,
    `- Finished: ${r.finishedAt}`,
    `- Wall time: ${formatDuration(r.wallMs)}`,
    `- Iterations: ${r.iterations.length} of ${r.repeat} requested`,
    `- Schedule: ${inline(formatPrimarySchedule(r))}`,
    `- Run directory: ${code(r.runDir)}`,
    `- Tool: ${r.tool.name} ${r.tool.version}`,
  );
  return out;
}

function environment(r: RunReport): string[] {
  const { bringUpMs, ...rest } = r.environment.info;
  const out = [
    '## Environment',
    '',
    `- Name: ${code(r.environment.name)}`,
    `- Provider: ${inline(r.environment.provider)}`,
  ];
  if (typeof bringUpMs === 'number') out.push(`- Bring-up time: ${formatDuration(bringUpMs)}`);
  for (const [k, v] of Object.entries(rest)) out.push(`- ${k}: ${inline(formatDetail(v))}`);
  return out;
}

function facts(r: RunReport): string[] {
  return ['## Facts', '', table(['Fact', 'Value'], factRows(r.facts))];
}

function targets(r: RunReport): string[] {
  if (r.targets.length === 0) return ['## Targets', '', 'No target was evaluated.'];
  const rows = r.targets.map((t) => [
    t.metric,
    [t.phase, t.probe].filter(Boolean).join(' / ') || '—',
    formatBound(t),
    formatMeasured(t),
    verdictLabel(t.verdict) + (t.note ? ` — ${t.note}` : ''),
    t.source,
  ]);
  return [
    '## Targets',
    '',
    table(['Metric', 'Phase / probe', 'Bound', 'Measured', 'Verdict', 'Source'], rows),
  ];
}

function iterations(r: RunReport): string[] {
  if (r.iterations.length === 0) return ['## Iterations', '', 'No iteration ran.'];
  const withMttd = r.iterations.some((it) => it.mttdMs !== null);
  const withRpo = r.iterations.some((it) => lostWrites(it) !== null);
  const headers = ['Iteration', 'RTO', 'Impact', 'Recovered at', 'Failed ops', 'Lost writes'];
  if (withRpo) headers.push('RPO window');
  if (withMttd) headers.push('MTTD');
  headers.push('Recovery steps');
  const rows = r.iterations.map((it) => {
    const lost = lostWrites(it);
    const row = [
      iterationLabel(it.index, it.name) + (it.error ? ' (error)' : ''),
      formatRto(it.rtoMs, it.impact),
      impactText(it),
      it.recoveredAtMs === null ? '—' : formatOffset(it.recoveredAtMs),
      String(primaryProbe(it, r.primaryProbe)?.rto.failedOps ?? '—'),
      lostWritesText(lost),
    ];
    if (withRpo) row.push(lost ? formatDuration(lost.windowMs) : '—');
    if (withMttd) row.push(formatMaybeDuration(it.mttdMs));
    row.push(recoveryStepsText(it.recovery.steps));
    return row;
  });
  const out = ['## Iterations', '', table(headers, rows), '', '### MTTR', ''];
  const m = r.mttr;
  if (m === null) out.push('Not computed: no iteration recovered.');
  else {
    out.push(
      table(
        ['n', 'Mean', 'Median', 'Min', 'Max'],
        [
          [
            String(m.n),
            formatDuration(m.meanMs),
            formatDuration(m.medianMs),
            formatDuration(m.minMs),
            formatDuration(m.maxMs),
          ],
        ],
      ),
    );
  }
  for (const it of r.iterations) out.push('', iterationSection(it));
  return out;
}

function timeline(r: RunReport): string[] {
  if (r.events.length === 0) return ['## Timeline', '', 'No events were recorded.'];
  const withIteration = r.events.some((e) => e.iteration !== undefined);
  const headers = withIteration ? ['t', 'Iteration', 'Event', 'Message'] : ['t', 'Event', 'Message'];
  const rows = r.events.map((e) => {
    const row = [formatOffset(e.tMs)];
    if (withIteration) row.push(e.iteration === undefined ? '' : iterationLabel(e.iteration));
    row.push(e.type, e.message);
    return row;
  });
  return [
    '## Timeline',
    '',
    'Times are relative to the start of the run, on the run clock.',
    '',
    table(headers, rows),
  ];
}

function definitions(r: RunReport): string[] {
  const out = ['## How the metrics are defined', ''];
  for (const [name, text] of Object.entries(r.definitions)) out.push(`- **${name}**: ${inline(text)}`);
  out.push(
    `- **RTO resolution**: ${formatDuration(r.probeIntervalMs)} (the probe interval); an RTO is exact to within this.`,
    `- **Stable for**: ${formatDuration(r.stableForMs)}; recovery needs a run of successes at least this long.`,
  );
  return out;
}

export function renderMarkdown(report: RunReport): string {
  const sections = [
    header(report),
    environment(report),
    facts(report),
    targets(report),
    historySection(report),
    iterations(report),
    timeline(report),
    definitions(report),
  ];
  return `${sections
    .filter((s) => s.length > 0)
    .map((s) => s.join('\n'))
    .join('\n\n')}\n`;
}
