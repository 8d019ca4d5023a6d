// drill.md: the record of a DR drill, laid out as after-action records ask (NIST SP 800-84's
// after-action report, the FFIEC BCM booklet's test documentation and management review, Google
// DiRT's write-ups): what was exercised and why, when, where, by whom, the results against each
// objective, what deviated, what was learned and what follows. The harness fills what it measured;
// what only a person knows is marked TO_FILL, and the record says it is incomplete until it is.

import type { RunReport, TargetResult } from '../core/report-model.js';
import type { SuiteSummary } from '../suite/summary.js';
import {
  formatBound,
  formatDuration,
  formatMeasured,
  formatValue,
  targetLabel,
  verdictLabel,
} from './format.js';
import { code, inline, table } from './markdown-table.js';

export const TO_FILL = '_to be filled_';

export interface DrillInput {
  /** The runs of the drill, in the order they ran. */
  reports: readonly RunReport[];
  /** When the drill was a suite. */
  summary?: SuiteSummary | undefined;
}

const unique = (xs: readonly string[]) => [...new Set(xs)];

/** Failures a negative control declares are what it exists to show, not deviations. */
const declaredAway = (r: RunReport) => r.expectation?.met === true;

/** A one-line suggestion for each thing that went wrong: "investigate: lost-writes 97 > 0". */
export function suggestedActions(r: RunReport): string[] {
  const out: string[] = [];
  if (r.verdict === 'error' && r.error)
    out.push(`investigate: harness error ${r.error.code}: ${r.error.message}`);
  if (r.expectation && !r.expectation.met && r.verdict !== 'error')
    out.push(`investigate: did not behave as declared: ${r.expectation.message}`);
  if (!declaredAway(r)) for (const t of r.targets) if (t.verdict !== 'pass') out.push(targetAction(t));
  return out;
}

function targetAction(t: TargetResult): string {
  const label = targetLabel(t);
  if (t.regression?.verdict === 'fail')
    return `investigate: ${label} ${formatMeasured(t)}, ${t.regression.note}`;
  if (t.measured === null)
    return `investigate: ${label} ${t.verdict}: ${t.measuredText}${t.note ? ` (${t.note})` : ''}`;
  if (t.verdict === 'fail' && t.bound !== null)
    return `investigate: ${label} ${formatMeasured(t)} > ${formatValue(t.bound, t.unit)}`;
  return `investigate: ${label} ${t.verdict}: ${formatMeasured(t)}${t.note ? ` (${t.note})` : ''}`;
}

/** What did not go as the scenario declared: errors, unexpected verdicts, targets missed, leaks. */
export function deviations(r: RunReport): string[] {
  const out: string[] = [];
  if (r.error) out.push(`${r.verdict === 'error' ? 'Error' : 'Note'} ${r.error.code}: ${r.error.message}`);
  if (r.expectation && !r.expectation.met) out.push(`Not as declared: ${r.expectation.message}`);
  else if (!r.expectation && r.verdict !== 'pass' && r.verdict !== 'error')
    out.push(`Verdict ${verdictLabel(r.verdict)}: the scenario declares no failure, so PASS was expected`);
  if (!declaredAway(r))
    for (const t of r.targets.filter((x) => x.verdict !== 'pass'))
      out.push(
        `${targetLabel(t)} ${verdictLabel(t.verdict)}: measured ${formatMeasured(t)}, bound ${formatBound(t)}${t.note ? ` (${t.note})` : ''}`,
      );
  for (const it of r.iterations) if (it.error) out.push(`Iteration ${it.index + 1}: ${it.error}`);
  for (const e of r.events) if (e.type === 'error' || e.type === 'leak') out.push(`${e.type}: ${e.message}`);
  if (r.iterations.length < r.repeat) out.push(`${r.iterations.length} of ${r.repeat} iterations ran`);
  return unique(out);
}

function asDeclared(r: RunReport): string {
  if (r.exitCode === 2) return 'no (could not measure)';
  if (r.expectation) return r.expectation.met ? `yes (${r.expectation.verdict}, as declared)` : 'no';
  return r.exitCode === 0 ? 'yes' : 'no';
}

function overview(input: DrillInput, reports: readonly RunReport[]): string[] {
  const first = reports[0];
  const startedAt = input.summary?.startedAt ?? first?.startedAt ?? '';
  const finishedAt = input.summary?.finishedAt ?? reports.at(-1)?.finishedAt ?? '';
  const wallMs = input.summary?.wallMs ?? reports.reduce((n, r) => n + r.wallMs, 0);
  const names = reports.map((r) => r.scenario.name);
  const sel = input.summary?.selection;
  const scope = sel
    ? `${reports.length} scenario(s) of a suite (${sel.refs.length ? sel.refs.join(' ') : 'every scenario'}${sel.tags.length ? `, tags ${sel.tags.join(', ')}` : ''}${sel.shards.length ? `, shard ${sel.shards.join(', ')}` : ''})${input.summary?.notRun.length ? `; not run: ${input.summary.notRun.map((n) => `${n.name} (${n.reason})`).join(', ')}` : ''}`
    : `one scenario: ${names.join(', ')}`;
  const versions = unique(
    reports.flatMap((r) => Object.entries(r.facts.versions).map(([k, v]) => `${k} ${v}`)),
  );
  const harness = unique(
    reports.map(
      (r) =>
        `${r.facts.harness.name} ${r.facts.harness.version}${r.facts.harness.commit ? `, commit ${r.facts.harness.commit}` : ''}`,
    ),
  );
  const hosts = unique(
    reports.map(
      (r) =>
        `${r.facts.host.hostname} (${r.facts.host.os}, ${r.facts.host.kernel}, ${r.facts.host.cpus} CPUs)`,
    ),
  );
  const rows: [string, string][] = [
    [
      'Title',
      `DR drill: ${input.summary ? `suite of ${reports.length} scenario(s)` : (names[0] ?? 'no run')}`,
    ],
    [
      'Type of exercise',
      'functional exercise: real faults injected into a real stack, recovery measured by chaos-harness',
    ],
    ['Date', startedAt.slice(0, 10) || '—'],
    ['Start', startedAt || '—'],
    ['End', finishedAt || '—'],
    ['Duration', formatDuration(wallMs)],
    ['Scope', scope],
    [
      'Environment / provider',
      unique(reports.map((r) => `${r.environment.name} (${r.environment.provider})`)).join(', ') || '—',
    ],
    ['Harness', harness.join('; ') || '—'],
    ['Versions', versions.join(', ') || '—'],
    ['Host', hosts.join('; ') || '—'],
    ['Operator', unique(reports.map((r) => r.facts.operator)).join(', ') || '—'],
    ['Participants (names and roles)', TO_FILL],
  ];
  return ['## 1. Overview', '', table(['Field', 'Value'], rows)];
}

function scenariosRun(reports: readonly RunReport[]): string[] {
  const rows = reports.map((r) => [
    r.scenario.name,
    r.facts.scenario.file,
    r.facts.scenario.sha256 ?? 'unreadable',
    r.facts.runId,
    verdictLabel(r.verdict),
    asDeclared(r),
    `${r.runDir}/report.md`,
  ]);
  return [
    '## 2. Scenarios run',
    '',
    ...reports.flatMap((r) =>
      r.scenario.description ? [`- ${code(r.scenario.name)}: ${inline(r.scenario.description)}`] : [],
    ),
    ...(reports.some((r) => r.scenario.description) ? [''] : []),
    table(['Scenario', 'File', 'sha256', 'Run id', 'Verdict', 'As declared', 'Full report'], rows),
  ];
}

interface Objective {
  n: number;
  run: RunReport;
  t: TargetResult;
}

function objectivesOf(reports: readonly RunReport[]): Objective[] {
  let n = 0;
  return reports.flatMap((run) => run.targets.map((t) => ({ n: ++n, run, t })));
}

function objectives(obj: readonly Objective[]): string[] {
  if (obj.length === 0)
    return [
      '## 3. Objectives',
      '',
      'No objective was evaluated (every run ended before its targets were judged).',
    ];
  return [
    '## 3. Objectives',
    '',
    'Each objective is a target of a scenario: the recovery promise, its bound and where it is documented.',
    '',
    table(
      ['#', 'Scenario', 'Objective', 'Bound', 'Source / claim'],
      obj.map(({ n, run, t }) => [String(n), run.scenario.name, targetLabel(t), formatBound(t), t.source]),
    ),
  ];
}

function results(obj: readonly Objective[]): string[] {
  if (obj.length === 0) return ['## 4. Results against objectives', '', 'None: no objective was evaluated.'];
  const met = obj.filter((o) => o.t.pass).length;
  return [
    '## 4. Results against objectives',
    '',
    `${met} of ${obj.length} objective(s) met.`,
    '',
    table(
      ['#', 'Scenario', 'Objective', 'Measured', 'Bound', 'Result', 'Note'],
      obj.map(({ n, run, t }) => [
        String(n),
        run.scenario.name,
        targetLabel(t),
        formatMeasured(t),
        formatBound(t),
        t.pass ? 'PASS' : `${verdictLabel(t.verdict)}${declaredAway(run) ? ' (as declared)' : ''}`,
        t.note ?? '',
      ]),
    ),
  ];
}

function deviationSection(reports: readonly RunReport[]): string[] {
  const per = reports.map((r) => ({ r, d: deviations(r) })).filter((x) => x.d.length > 0);
  const out = ['## 5. Deviations', ''];
  if (per.length === 0) {
    out.push('None recorded: every scenario behaved as it declares and no error was recorded.');
  } else {
    for (const { r, d } of per) out.push(`- ${code(r.scenario.name)}:`, ...d.map((x) => `  - ${inline(x)}`));
  }
  out.push(
    '',
    `Deviations the harness cannot see (a step done by hand, a page that did not go out): ${TO_FILL}`,
  );
  return out;
}

function actions(reports: readonly RunReport[]): string[] {
  const suggested = reports.flatMap((r) => suggestedActions(r).map((a) => ({ r, a })));
  const rows = suggested.map(({ r, a }, i) => [
    String(i + 1),
    `${a} (${r.scenario.name})`,
    TO_FILL,
    TO_FILL,
    'open',
  ]);
  rows.push([String(rows.length + 1), TO_FILL, TO_FILL, TO_FILL, TO_FILL]);
  return [
    '## 7. Follow-up actions',
    '',
    suggested.length
      ? 'Suggested from the results; give each an owner and a due date, or strike it with the reason.'
      : 'No failure to follow up from the measurements; add any action the participants agree on.',
    '',
    table(['#', 'Action', 'Owner', 'Due date', 'Status'], rows),
  ];
}

export function renderDrill(input: DrillInput): string {
  const reports = input.reports;
  const obj = objectivesOf(reports);
  const sections = [
    [
      `# DR drill record: ${inline(reports.length === 1 && !input.summary ? (reports[0]?.scenario.name ?? '') : `suite of ${reports.length} scenario(s)`)}`,
      '',
      `> **Incomplete until every field marked ${TO_FILL} is filled in**: participants, deviations the harness could not see, what was learned, owners and due dates of the follow-up actions, and the sign-off. chaos-harness filled in what it measured.`,
    ],
    overview(input, reports),
    scenariosRun(reports),
    objectives(obj),
    results(obj),
    deviationSection(reports),
    [
      '## 6. What was learned',
      '',
      `- What went as planned: ${TO_FILL}`,
      `- What did not, and why: ${TO_FILL}`,
      `- Gaps in runbooks, monitoring or staffing found: ${TO_FILL}`,
    ],
    actions(reports),
    [
      '## 8. Sign-off',
      '',
      table(
        ['Role', 'Name', 'Date', 'Signature'],
        ['Drill lead', 'Service owner', 'Management review'].map((role) => [role, TO_FILL, TO_FILL, TO_FILL]),
      ),
    ],
  ];
  return `${sections.map((s) => s.join('\n')).join('\n\n')}\n`;
}
