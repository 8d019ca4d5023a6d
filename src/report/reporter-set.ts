// The reporters of one invocation, called as one: each reporter's hooks in order and one at a time
// (an async hook delays only its own reporter), failures caught, reported and collected so that a
// broken reporter never stops a run or its teardown. The built-in file reporters are written
// together (writeFiles' rules); a ReportWriteError stays what it was (exit 2, after the summary).

import { join } from 'node:path';
import { errorMessage, ReporterError, ReportWriteError } from '../core/errors.js';
import type { RunReport } from '../core/report-model.js';
import type { RunPhase } from '../core/run/phases.js';
import type { ProgressSink } from '../core/run/progress.js';
import type { RunEvent } from '../core/types.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { SuiteSummary } from '../suite/summary.js';
import { renderJson } from './json.js';
import {
  type FileReporter,
  isFileReporter,
  type Reporter,
  type ReporterHook,
  type ReportFile,
  type RunStartContext,
  type SuiteStartContext,
} from './reporter.js';
import { writeFiles } from './write-files.js';

export interface NamedReporter {
  /** As given to --reporter: a built-in name or the module's path. */
  name: string;
  reporter: Reporter;
}

export interface ReporterFailure {
  reporter: string;
  hook: string;
  message: string;
}

/** How long the end of a run waits for a reporter's hooks to settle before it gives up on them. */
export const REPORTER_SETTLE_MS = 60_000;

const LIVE_HOOKS = new Set<ReporterHook>(['onPhase', 'onEvent', 'onStatus']);

type HookArgs<K extends ReporterHook> = Parameters<NonNullable<Reporter[K]>>;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/** One reporter's queue: its hooks run in call order, the next after the previous settled. */
class Slot {
  private tail: Promise<unknown> | undefined;
  /** Set when a live hook failed: the others of this run are skipped, the end hooks still run. */
  muted = false;

  constructor(
    readonly named: NamedReporter,
    private readonly fail: (hook: string, err: unknown) => void,
  ) {}

  get reporter(): Reporter {
    return this.named.reporter;
  }

  /** Calls `hook` now when nothing is pending, else after what is; never throws. */
  call<K extends ReporterHook>(hook: K, args: HookArgs<K>): Promise<unknown> | undefined {
    if (this.muted && LIVE_HOOKS.has(hook)) return this.tail;
    if (typeof this.reporter[hook] !== 'function') return this.tail;
    const run = (): Promise<unknown> | undefined => {
      if (this.muted && LIVE_HOOKS.has(hook)) return undefined;
      try {
        const fn = this.reporter[hook] as (...a: HookArgs<K>) => unknown;
        const r = fn.apply(this.reporter, args);
        return isThenable(r)
          ? Promise.resolve(r).catch((err: unknown) => this.onError(hook, err))
          : undefined;
      } catch (err) {
        this.onError(hook, err);
        return undefined;
      }
    };
    const p = this.tail ? this.tail.then(run) : run();
    if (p) {
      this.tail = p;
      void p.then(() => {
        if (this.tail === p) this.tail = undefined;
      });
    }
    return p;
  }

  /** Calls `hook` after everything pending and returns what it returned (undefined on failure). */
  async result<K extends ReporterHook>(hook: K, args: HookArgs<K>): Promise<unknown> {
    await this.settle();
    if (typeof this.reporter[hook] !== 'function') return undefined;
    try {
      const fn = this.reporter[hook] as (...a: HookArgs<K>) => unknown;
      return await bounded(Promise.resolve(fn.apply(this.reporter, args)), hook);
    } catch (err) {
      this.onError(hook, err);
      return undefined;
    }
  }

  async settle(): Promise<void> {
    if (!this.tail) return;
    try {
      await bounded(this.tail, 'its pending hooks');
    } catch (err) {
      this.onError('pending hooks', err);
      this.tail = undefined;
    }
  }

  onError(hook: string, err: unknown): void {
    if (LIVE_HOOKS.has(hook as ReporterHook)) this.muted = true;
    this.fail(hook, err);
  }
}

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not settle within ${REPORTER_SETTLE_MS / 1000} s`)),
      REPORTER_SETTLE_MS,
    );
    timer.unref();
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

export class ReporterSet {
  private readonly slots: Slot[];
  private readonly failures: ReporterFailure[] = [];
  /** The runs of the suite under way, as their report.json has them (for suite-level files). */
  private suiteReports: RunReport[] | undefined;

  constructor(
    reporters: readonly NamedReporter[],
    /** Told at once about each failure (the CLI prints it), besides the error at the end. */
    private readonly onFailure: (f: ReporterFailure) => void = () => undefined,
  ) {
    this.slots = reporters.map(
      (r) =>
        new Slot(r, (hook, err) => {
          const f = { reporter: r.name, hook, message: errorMessage(err) };
          this.failures.push(f);
          this.onFailure(f);
        }),
    );
  }

  /** For the run lifecycle: its events (phases among them) and statuses, to every reporter. */
  readonly sink: ProgressSink = {
    event: (e: RunEvent) => {
      const phase = e.type === 'phase' ? (e.data?.phase as RunPhase | undefined) : undefined;
      for (const s of this.slots) {
        if (phase !== undefined) s.call('onPhase', [phase, e]);
        s.call('onEvent', [e]);
      }
    },
    status: (status) => {
      for (const s of this.slots) s.call('onStatus', [status]);
    },
  };

  /** Every failure so far as one error, or undefined when every hook went well. */
  error(): ReporterError | undefined {
    return this.failures.length > 0 ? new ReporterError([...this.failures]) : undefined;
  }

  async suiteStart(context: SuiteStartContext): Promise<void> {
    this.suiteReports = [];
    await Promise.all(this.slots.map((s) => s.result('onSuiteStart', [context])));
  }

  /** Queued, not awaited: a slow reporter must not hold the run back. */
  runStart(scenario: LoadedScenario, context: RunStartContext): void {
    for (const s of this.slots) {
      s.muted = false;
      s.call('onRunStart', [scenario, context]);
    }
  }

  /**
   * Lets every reporter finish the run and write its files; then onRunReported with all of them.
   * Returns the files written; throws the ReportWriteError of the file reporters, if any, last.
   */
  async runEnd(report: RunReport, dir: string): Promise<string[]> {
    const { files, writeError } = await this.end(
      'onRunEnd',
      (r) => r.renderRun(report),
      (s) => s.result('onRunEnd', [report, dir]),
      dir,
    );
    this.suiteReports?.push(JSON.parse(renderJson(report)) as RunReport);
    await Promise.all(this.slots.map((s) => s.result('onRunReported', [report, files])));
    if (writeError) throw writeError;
    return files;
  }

  /** As runEnd, for the suite: onSuiteEnd, the suite-level files, then onSuiteReported. */
  async suiteEnd(summary: SuiteSummary, dir: string): Promise<string[]> {
    const reports = this.suiteReports ?? [];
    const { files, writeError } = await this.end(
      'onSuiteEnd',
      (r) => r.renderSuite?.(summary, dir, reports),
      (s) => s.result('onSuiteEnd', [summary, dir]),
      dir,
    );
    this.suiteReports = undefined;
    await Promise.all(this.slots.map((s) => s.result('onSuiteReported', [summary, files])));
    if (writeError) throw writeError;
    return files;
  }

  private async end(
    hook: 'onRunEnd' | 'onSuiteEnd',
    render: (r: FileReporter) => ReportFile | undefined,
    call: (s: Slot) => Promise<unknown>,
    dir: string,
  ): Promise<{ files: string[]; writeError: ReportWriteError | undefined }> {
    await Promise.all(this.slots.map((s) => s.settle()));
    const perSlot = new Map<Slot, readonly string[]>();
    // Render every file first: a formatter bug must not leave half the files behind.
    const rendered: { slot: Slot; file: ReportFile }[] = [];
    let renderFailed = false;
    for (const s of this.slots) {
      const r = s.reporter;
      if (!isFileReporter(r)) continue;
      try {
        const file = render(r);
        if (file) rendered.push({ slot: s, file });
      } catch (err) {
        renderFailed = true;
        s.onError(hook === 'onRunEnd' ? 'renderRun' : 'renderSuite', err);
      }
    }
    let writeError: ReportWriteError | undefined;
    if (!renderFailed && rendered.length > 0) {
      let written: readonly string[];
      try {
        written = await writeFiles(
          dir,
          rendered.map((x) => x.file),
        );
      } catch (err) {
        if (!(err instanceof ReportWriteError)) throw err;
        writeError = err;
        written = err.written;
      }
      const ok = new Set(written);
      for (const x of rendered) {
        const path = join(dir, x.file.file);
        if (ok.has(path)) perSlot.set(x.slot, [path]);
      }
    }
    for (const s of this.slots) {
      if (isFileReporter(s.reporter)) continue;
      const out = await call(s);
      if (Array.isArray(out)) perSlot.set(s, out.map(String));
    }
    const files = this.slots.flatMap((s) => perSlot.get(s) ?? []);
    return { files, writeError };
  }
}
