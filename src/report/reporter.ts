// What a reporter is: an object of optional hooks, any of them async, that sees a run (or a suite of
// runs) as it goes. The console's live progress is one reporter, report.json another. A custom one
// is a module whose default export is such an object (or a class or function that makes one),
// passed by path to `--reporter`.

import type { RunReport } from '../core/report-model.js';
import type { RunPhase } from '../core/run/phases.js';
import type { ProgressStatus } from '../core/run/progress.js';
import type { ProviderName, RunEvent } from '../core/types.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { SuiteSummary } from '../suite/summary.js';

type Awaitable<T> = T | Promise<T>;
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that writes no file returns nothing at all
type Files = readonly string[] | undefined | void;

/** Where a run is about to go; given to onRunStart before anything of the run starts. */
export interface RunStartContext {
  runId: string;
  /** The report directory the run claims and writes into. */
  runDir: string;
  provider: ProviderName;
  /** When the run is one of a suite: 0-based position and the number of runs. */
  suite?: { index: number; of: number };
}

/** What a suite is about to run; given to onSuiteStart. */
export interface SuiteStartContext {
  /** The scenarios this invocation runs (this shard's share), in order. */
  scenarios: readonly LoadedScenario[];
  /** How many the names and tags selected, before sharding. */
  selected: number;
  /** "i/n" when sharded. */
  shard?: string;
  outDir: string;
}

/**
 * Every hook is optional and may return a promise. The hooks of one reporter are called in order,
 * one at a time: an async onEvent delays that reporter's next hook, never the run. A hook that
 * throws is reported and does not stop the run or its teardown.
 */
export interface Reporter {
  onSuiteStart?(context: SuiteStartContext): Awaitable<void>;
  onRunStart?(scenario: LoadedScenario, context: RunStartContext): Awaitable<void>;
  /** A phase began (also delivered to onEvent, as the event of type `phase`). */
  onPhase?(phase: RunPhase, event: RunEvent): Awaitable<void>;
  onEvent?(event: RunEvent): Awaitable<void>;
  /** Twice a second while the run goes. */
  onStatus?(status: ProgressStatus): Awaitable<void>;
  /** The run is over and torn down. Returns the paths of any files it wrote into `dir`. */
  onRunEnd?(report: RunReport, dir: string): Awaitable<Files>;
  /** After every reporter's onRunEnd: all the files they wrote (the console lists them). */
  onRunReported?(report: RunReport, files: readonly string[]): Awaitable<void>;
  /** The suite is over. Returns the paths of any files it wrote into `dir`. */
  onSuiteEnd?(summary: SuiteSummary, dir: string): Awaitable<Files>;
  /** After every reporter's onSuiteEnd: all the files they wrote. */
  onSuiteReported?(summary: SuiteSummary, files: readonly string[]): Awaitable<void>;
}

/** Every hook name, in the order a suite calls them. */
export const REPORTER_HOOKS = [
  'onSuiteStart',
  'onRunStart',
  'onPhase',
  'onEvent',
  'onStatus',
  'onRunEnd',
  'onRunReported',
  'onSuiteEnd',
  'onSuiteReported',
] as const satisfies readonly (keyof Reporter)[];

export type ReporterHook = (typeof REPORTER_HOOKS)[number];

/** One file a reporter renders; see FileReporter. */
export interface ReportFile {
  /** File name inside the directory. */
  file: string;
  text: string;
}

/**
 * A reporter whose whole output is one file per run (and per suite). A set of reporters renders the
 * files of all its file reporters first and writes them together, smallest first (writeReports):
 * a formatter bug leaves no file behind, and a disk that fills up gets as many files as fit.
 * Its onRunEnd / onSuiteEnd write its file alone, for use outside a set.
 */
export interface FileReporter extends Reporter {
  renderRun(report: RunReport): ReportFile;
  /** `reports` are the suite's runs as their report.json has them. */
  renderSuite?(summary: SuiteSummary, dir: string, reports: readonly RunReport[]): ReportFile;
}

export function isFileReporter(r: Reporter): r is FileReporter {
  return typeof (r as Partial<FileReporter>).renderRun === 'function';
}
