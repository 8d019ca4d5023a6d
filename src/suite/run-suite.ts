// A suite: the selected scenarios one after another, each with its own run directory and full
// reports, then (by default) summary.json, summary.md and one junit.xml for all of them. One run at a time:
// scenarios measure timing, and two at once on the same machine would disturb each other.

import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RunReport } from '../core/report-model.js';
import type { ProgressSink } from '../core/run/progress.js';
import type { ProviderName } from '../core/types.js';
import {
  type BuiltinReporterName,
  builtinReporters,
  DEFAULT_REPORTERS,
  ReporterSet,
  renderSummaryHtml,
} from '../report/index.js';
import type { RunStart } from '../run-scenario.js';
import type { LoadedScenario } from '../scenario/load.js';
import {
  entryOf,
  newSummary,
  readRunReports,
  renderSuiteJunitOf,
  renderSummaryJson,
  renderSummaryMarkdown,
  type SuiteSummary,
  worstExitCode,
} from './summary.js';

export interface SuiteOptions {
  scenarios: readonly LoadedScenario[];
  selection: SuiteSummary['selection'];
  outDir: string;
  provider?: ProviderName | undefined;
  repeat?: number | undefined;
  /** Stop after the first run that did not behave as declared. */
  bail?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Runs one scenario (src/run-scenario.ts runScenario). */
  run(opts: {
    scenario: LoadedScenario;
    outDir: string;
    provider?: ProviderName | undefined;
    repeat?: number | undefined;
    signal?: AbortSignal | undefined;
    progress?: ProgressSink | undefined;
    onStart?: ((start: RunStart) => void) | undefined;
  }): Promise<RunReport>;
  /**
   * Told about the suite and each run; writes their files (default: the built-in file reporters,
   * no console). A ReportWriteError stops the suite; other reporter failures are the caller's to
   * read (reporters.error()).
   */
  reporters?: ReporterSet | undefined;
  /** "i/n" when sharded, for the reporters. */
  shard?: string | undefined;
}

/** `merge`: writes summary.json, summary.md, junit.xml and summary.html into `dir`; returns their paths. */
export function writeSuiteOutputs(summary: SuiteSummary, dir: string): string[] {
  const reports = readRunReports(summary, dir);
  const files = {
    'summary.json': renderSummaryJson(summary),
    'summary.md': renderSummaryMarkdown(summary),
    'junit.xml': renderSuiteJunitOf(reports),
    'summary.html': renderSummaryHtml(summary, dir, reports),
  };
  return Object.entries(files).map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

function fileReporters(): ReporterSet {
  const names = DEFAULT_REPORTERS.filter((n) => n !== 'console') as Exclude<BuiltinReporterName, 'console'>[];
  return new ReporterSet(names.map((name) => ({ name, reporter: builtinReporters[name]() })));
}

/** Runs the scenarios and has the reporters write each run's files and then the suite's. */
export async function runSuite(opts: SuiteOptions): Promise<SuiteSummary> {
  const reporters = opts.reporters ?? fileReporters();
  const t0 = performance.now();
  const summary = newSummary(opts.selection, new Date().toISOString());
  const used = new Set<string>();
  const total = opts.scenarios.length;
  await reporters.suiteStart({
    scenarios: opts.scenarios,
    selected: opts.selection.selected,
    ...(opts.shard ? { shard: opts.shard } : {}),
    outDir: opts.outDir,
  });
  for (const [i, scenario] of opts.scenarios.entries()) {
    const file = relative(process.cwd(), scenario.file).startsWith('..')
      ? scenario.file
      : relative(process.cwd(), scenario.file);
    if (opts.signal?.aborted) {
      summary.notRun.push({ name: scenario.name, file, reason: 'interrupted' });
      continue;
    }
    const stopped = opts.bail && summary.scenarios.some((e) => e.exitCode !== 0);
    if (stopped) {
      summary.notRun.push({ name: scenario.name, file, reason: 'bail' });
      continue;
    }
    let dirName = scenario.name;
    for (let n = 2; used.has(dirName); n++) dirName = `${scenario.name}-${n}`;
    used.add(dirName);
    const report = await opts.run({
      scenario,
      outDir: join(opts.outDir, dirName),
      provider: opts.provider,
      repeat: opts.repeat,
      signal: opts.signal,
      progress: reporters.sink,
      onStart: (start) => reporters.runStart(scenario, { ...start, suite: { index: i, of: total } }),
    });
    summary.scenarios.push(entryOf(report, file, scenario.spec.tags, opts.outDir));
    await reporters.runEnd(report, report.runDir);
  }
  summary.finishedAt = new Date().toISOString();
  summary.wallMs = Math.round(performance.now() - t0);
  summary.exitCode = worstExitCode(summary.scenarios, summary.notRun);
  await reporters.suiteEnd(summary, opts.outDir);
  return summary;
}
