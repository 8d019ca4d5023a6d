// A suite: the selected scenarios, each with its own run directory and full reports, then (by
// default) summary.json, summary.md and one junit.xml for all of them. One run at a time unless
// `jobs` says more: runs side by side share the machine's CPUs, so each report then names the runs
// it overlapped and for how long (facts.suite), next to the host's CPU use during the run.

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
    /** Which of the `jobs` workers runs it, 0 to jobs - 1: no two runs at once share a slot. */
    slot: number;
  }): Promise<RunReport>;
  /**
   * Told about the suite and each run; writes their files (default: the built-in file reporters,
   * no console). A ReportWriteError stops the suite; other reporter failures are the caller's to
   * read (reporters.error()).
   */
  reporters?: ReporterSet | undefined;
  /** "i/n" when sharded, for the reporters. */
  shard?: string | undefined;
  /** Runs at once (default 1). Above 1 the longest runs start first (see `estimateMs`). */
  jobs?: number | undefined;
  /** How long a scenario's run is expected to take, for the order of a suite with jobs > 1. */
  estimateMs?: ((scenario: LoadedScenario) => number) | undefined;
}

/** One run of the suite: when it started and ended on the suite's clock (ms). */
interface Slot {
  index: number;
  name: string;
  startMs: number;
  endMs?: number;
}

/** The other runs `slot` overlapped, with how long each overlap lasted, longest first. */
export function overlapsOf(
  slot: { index: number; startMs: number; endMs: number },
  others: readonly { index: number; name: string; startMs: number; endMs?: number | undefined }[],
): { name: string; overlapMs: number }[] {
  return others
    .filter((o) => o.index !== slot.index)
    .map((o) => ({
      name: o.name,
      overlapMs: Math.round(Math.min(slot.endMs, o.endMs ?? slot.endMs) - Math.max(slot.startMs, o.startMs)),
    }))
    .filter((o) => o.overlapMs > 0)
    .sort((a, b) => b.overlapMs - a.overlapMs || a.name.localeCompare(b.name));
}

/**
 * The order runs start in: as selected with one job; with more, the longest expected first (so the
 * last to start are short ones and the suite ends soon after its longest run), ties as selected.
 */
export function startOrder(
  scenarios: readonly LoadedScenario[],
  jobs: number,
  estimateMs?: (scenario: LoadedScenario) => number,
): number[] {
  const order = scenarios.map((_, i) => i);
  if (jobs <= 1 || !estimateMs) return order;
  const est = scenarios.map((s) => estimateMs(s));
  return order.sort((a, b) => (est[b] as number) - (est[a] as number) || a - b);
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
  const jobs = Math.max(1, opts.jobs ?? 1);
  const fileOf = (scenario: LoadedScenario) =>
    relative(process.cwd(), scenario.file).startsWith('..')
      ? scenario.file
      : relative(process.cwd(), scenario.file);
  // Folder names in selection order, whatever order the runs start in.
  const dirNames = opts.scenarios.map((scenario) => {
    let dirName = scenario.name;
    for (let n = 2; used.has(dirName); n++) dirName = `${scenario.name}-${n}`;
    used.add(dirName);
    return dirName;
  });
  const entries: (SuiteSummary['scenarios'][number] | undefined)[] = [];
  const notRun: { index: number; entry: SuiteSummary['notRun'][number] }[] = [];
  const slots: Slot[] = [];
  const pending = startOrder(opts.scenarios, jobs, opts.estimateMs);
  const running = new Set<string>();
  let failedOne = false;
  let reporting: Promise<unknown> = Promise.resolve();
  const runOne = async (i: number, worker: number): Promise<void> => {
    const scenario = opts.scenarios[i] as LoadedScenario;
    const slot: Slot = { index: i, name: dirNames[i] as string, startMs: performance.now() - t0 };
    const report = await opts.run({
      scenario,
      outDir: join(opts.outDir, dirNames[i] as string),
      provider: opts.provider,
      repeat: opts.repeat,
      signal: opts.signal,
      // Live progress only when one run goes at a time: lines of runs side by side would interleave.
      progress: jobs === 1 ? reporters.sink : undefined,
      onStart: (start) => {
        // A run may wait for its turn to start (suite --jobs): it overlaps others from here.
        slot.startMs = performance.now() - t0;
        slots.push(slot);
        reporters.runStart(scenario, { ...start, suite: { index: i, of: total } });
      },
      slot: worker,
    });
    slot.endMs = performance.now() - t0;
    // A run that never said it started still ran from the call on.
    if (!slots.includes(slot)) slots.push(slot);
    if (jobs > 1) {
      report.facts = {
        ...report.facts,
        suite: { jobs, alongside: overlapsOf({ ...slot, endMs: slot.endMs }, slots) },
      };
    }
    entries[i] = entryOf(report, fileOf(scenario), scenario.spec.tags, opts.outDir);
    if (report.exitCode !== 0) failedOne = true;
    // One run's files at a time, in the order the runs end.
    const reported = reporting.then(() => reporters.runEnd(report, report.runDir));
    reporting = reported.catch(() => undefined);
    await reported;
  };
  // Up to `jobs` workers take the next scenario whose name is not running already (a scenario
  // listed twice runs after itself, so its second run compares with the first).
  const worker = async (k: number): Promise<void> => {
    for (;;) {
      const next = pending.findIndex((i) => !running.has((opts.scenarios[i] as LoadedScenario).name));
      if (next < 0) {
        if (pending.length === 0 || running.size === 0) return;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const i = pending.splice(next, 1)[0] as number;
      const scenario = opts.scenarios[i] as LoadedScenario;
      if (opts.signal?.aborted || (opts.bail && failedOne)) {
        notRun.push({
          index: i,
          entry: {
            name: scenario.name,
            file: fileOf(scenario),
            reason: opts.signal?.aborted ? 'interrupted' : 'bail',
          },
        });
        continue;
      }
      running.add(scenario.name);
      try {
        await runOne(i, k);
      } finally {
        running.delete(scenario.name);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, total) }, (_, k) => worker(k)));
  summary.scenarios.push(...entries.filter((e): e is SuiteSummary['scenarios'][number] => e !== undefined));
  summary.notRun.push(...notRun.sort((a, b) => a.index - b.index).map((n) => n.entry));
  summary.finishedAt = new Date().toISOString();
  summary.wallMs = Math.round(performance.now() - t0);
  summary.exitCode = worstExitCode(summary.scenarios, summary.notRun);
  await reporters.suiteEnd(summary, opts.outDir);
  return summary;
}
