// What a suite ran and how each run ended: the model (summary.json), its Markdown, the merged
// junit.xml, and the merge of several shards' summaries into one.

import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { HarnessError } from '../core/errors.js';
import type { RunReport } from '../core/report-model.js';
import { TOOL } from '../core/run/build-report.js';
import { formatBound, formatDuration, formatMeasured, targetLabel, verdictLabel } from '../report/format.js';
import { renderJunitSuites } from '../report/junit.js';
import { code, inline, table } from '../report/markdown-table.js';

export interface SuiteEntry {
  name: string;
  /** As the user would pass it: relative to the working directory when inside it. */
  file: string;
  tags: string[];
  verdict: string;
  /** The verdict the scenario declares (`expect:`), when it declares one. */
  expected: string | null;
  /** 0 when the run behaved as declared (or passed), 1 when not, 2 when it could not measure. */
  exitCode: 0 | 1 | 2;
  wallMs: number;
  /** Targets that did not pass, as "rto fail: measured 41.2 s, bound ≤ 30 s". */
  failing: string[];
  error: { code: string; message: string } | null;
  /** report.json, relative to the summary's directory. */
  report: string;
}

export interface NotRun {
  name: string;
  file: string;
  reason: 'bail' | 'interrupted';
}

export interface SuiteSummary {
  schemaVersion: 1;
  tool: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  wallMs: number;
  selection: { refs: string[]; tags: string[]; shards: string[]; selected: number };
  exitCode: 0 | 1 | 2;
  scenarios: SuiteEntry[];
  notRun: NotRun[];
}

export function entryOf(
  report: RunReport,
  file: string,
  tags: readonly string[],
  summaryDir: string,
): SuiteEntry {
  return {
    name: report.scenario.name,
    file,
    tags: [...tags],
    verdict: report.verdict,
    expected: report.expectation?.verdict ?? null,
    exitCode: report.exitCode,
    wallMs: Math.round(report.wallMs),
    failing: report.targets
      .filter((t) => t.verdict !== 'pass')
      .map(
        (t) =>
          `${targetLabel(t)} ${t.verdict}: ${t.measured === null ? t.measuredText || 'nothing measured' : `measured ${formatMeasured(t)}`}${t.note ? ` (${t.note})` : ''}, bound ${formatBound(t)}`,
      ),
    error: report.error ?? null,
    report: relative(summaryDir, join(report.runDir, 'report.json')),
  };
}

/** The worst exit code: 2 (could not measure, or runs missing) over 1 (a run not as declared) over 0. */
export function worstExitCode(entries: readonly SuiteEntry[], notRun: readonly NotRun[]): 0 | 1 | 2 {
  if (notRun.some((n) => n.reason === 'interrupted')) return 2;
  const worst = Math.max(0, ...entries.map((e) => e.exitCode)) as 0 | 1 | 2;
  return notRun.length > 0 && worst === 0 ? 1 : worst;
}

const byName = <T extends { name: string; file: string }>(a: T, b: T) =>
  a.name.localeCompare(b.name) || a.file.localeCompare(b.file);

/** One summary of several shards' (or several suites'): every run once, in name order. */
export function mergeSummaries(
  parts: readonly { summary: SuiteSummary; dir: string }[],
  outDir: string,
): SuiteSummary {
  if (parts.length === 0) throw new HarnessError('INVALID_INPUT', 'merge: no summaries given');
  const scenarios = parts
    .flatMap(({ summary, dir }) =>
      summary.scenarios.map((e) => ({ ...e, report: relative(outDir, resolve(dir, e.report)) })),
    )
    .sort(byName);
  const seen = new Set<string>();
  for (const e of scenarios) {
    const key = `${e.name}\0${e.file}`;
    if (seen.has(key))
      throw new HarnessError('INVALID_INPUT', `merge: scenario ${e.name} appears in more than one summary`);
    seen.add(key);
  }
  const notRun = parts.flatMap((p) => p.summary.notRun).sort(byName);
  const first = parts[0]?.summary as SuiteSummary;
  const startedAt = parts.map((p) => p.summary.startedAt).sort()[0] as string;
  const finishedAt = parts
    .map((p) => p.summary.finishedAt)
    .sort()
    .at(-1) as string;
  return {
    schemaVersion: 1,
    tool: first.tool,
    startedAt,
    finishedAt,
    wallMs: Math.max(...parts.map((p) => p.summary.wallMs)),
    selection: {
      refs: first.selection.refs,
      tags: first.selection.tags,
      shards: parts.flatMap((p) => p.summary.selection.shards).sort(),
      selected: first.selection.selected,
    },
    exitCode: worstExitCode(scenarios, notRun),
    scenarios,
    notRun,
  };
}

export function readSummary(dir: string): SuiteSummary {
  const file = join(dir, 'summary.json');
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as SuiteSummary;
    if (s.schemaVersion !== 1 || !Array.isArray(s.scenarios))
      throw new Error('not a chaos-harness suite summary (schemaVersion 1)');
    return s;
  } catch (err) {
    throw new HarnessError('INVALID_INPUT', `${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function newSummary(selection: SuiteSummary['selection'], startedAt: string): SuiteSummary {
  return {
    schemaVersion: 1,
    tool: TOOL,
    startedAt,
    finishedAt: startedAt,
    wallMs: 0,
    selection,
    exitCode: 0,
    scenarios: [],
    notRun: [],
  };
}

export function renderSummaryJson(s: SuiteSummary): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}

/** "yes", "yes (fail, as declared)", "no (declared fail)": whether the run behaved as its scenario declares. */
export function asDeclared(e: SuiteEntry): string {
  if (e.expected === null) return e.exitCode === 0 ? 'yes' : 'no';
  return e.exitCode === 0 ? `yes (${e.expected}, as declared)` : `no (declared ${e.expected})`;
}

export function renderSummaryMarkdown(s: SuiteSummary): string {
  const passed = s.scenarios.filter((e) => e.exitCode === 0).length;
  const lines = [
    `# Suite: ${passed} of ${s.scenarios.length + s.notRun.length} scenarios behaved as declared (exit code ${s.exitCode})`,
    '',
    `- Started ${s.startedAt}, finished ${s.finishedAt} (${formatDuration(s.wallMs)})`,
    `- Selection: ${s.selection.refs.length ? s.selection.refs.map(code).join(' ') : 'every scenario in scenarios/'}` +
      `${s.selection.tags.length ? `, tags ${s.selection.tags.map(code).join(', ')}` : ''}` +
      `, ${s.selection.selected} selected${s.selection.shards.length ? `, shards ${s.selection.shards.join(', ')}` : ''}`,
    `- ${inline(`${s.tool.name} ${s.tool.version}`)}`,
    '',
    table(
      ['Scenario', 'Verdict', 'As declared', 'Exit', 'Wall time', 'Targets not passed', 'Report'],
      s.scenarios.map((e) => [
        e.name,
        verdictLabel(e.verdict as Parameters<typeof verdictLabel>[0]),
        asDeclared(e),
        String(e.exitCode),
        formatDuration(e.wallMs),
        e.error ? `${e.error.code}: ${e.error.message}` : e.failing.join('; ') || '—',
        e.report,
      ]),
    ),
  ];
  if (s.notRun.length > 0) {
    lines.push(
      '',
      '## Not run',
      '',
      ...s.notRun.map(
        (n) =>
          `- ${n.name}: ${n.reason === 'bail' ? 'skipped after a run that did not behave as declared (--bail)' : 'interrupted'}`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Every run of the summary, read back from its report.json, in the summary's order. */
export function readRunReports(s: SuiteSummary, summaryDir: string): RunReport[] {
  return s.scenarios.map((e) => {
    const file = resolve(summaryDir, e.report);
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as RunReport;
    } catch (err) {
      throw new HarnessError(
        'INVALID_INPUT',
        `${file}: cannot read the run's report (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
  });
}

/** One junit.xml with every run of a suite, from the runs as their report.json files have them. */
export function renderSuiteJunitOf(reports: readonly RunReport[]): string {
  return renderJunitSuites(`${TOOL.name} suite`, reports);
}
