// Argument parsing and process concerns (signals, exit codes) only; the work is in src/core.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { formatError, HarnessError, toHarnessError } from './core/errors.js';
import type { RunReport } from './core/report-model.js';
import type { ProgressSink } from './core/run/progress.js';
import { PROVIDERS, type ProviderName } from './core/types.js';
import {
  DEFAULT_BASELINE_RUNS,
  DEFAULT_HISTORY_FILE,
  defaultHistoryFile,
  RunHistoryFile,
} from './history/index.js';
import { recordsDir } from './providers/local/run-registry.js';
import { BUILTIN_REPORTER_NAMES, DEFAULT_REPORTERS, ReporterSet } from './report/index.js';
import { checkReporterRef, loadReporters } from './report/load-reporters.js';
import { prepareOutputDir } from './report/output-dir.js';
import { providerOf, runScenario } from './run-scenario.js';
import { checkScenario, loadCheckedScenario } from './scenario/check-environment.js';
import { environmentKind, type LoadedScenario, PROJECT_ROOT, readYaml } from './scenario/load.js';
import { MAX_REPEAT } from './scenario/schema.js';
import { validateFile } from './scenario/validate-file.js';
import { runInChild, slotPortRange } from './suite/child-run.js';
import { declaredMs } from './suite/estimate.js';
import { runSuite, writeSuiteOutputs } from './suite/run-suite.js';
import { parseShard, type Shard, scenarioFiles, selectScenarios } from './suite/select.js';
import { mergeSummaries, readSummary, renderSummaryMarkdown } from './suite/summary.js';

let verbose = process.argv.includes('--verbose');

// `chaos-harness list | head`: the reader went away; that is not an error of the harness.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const describeError = (err: unknown) => formatError(err, { verbose });

function fail(err: unknown): never {
  process.stderr.write(`error: ${describeError(err)}\n`);
  process.exit(2);
}

function repeatCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPEAT)
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_REPEAT}`);
  return n;
}

/** Runs at once in a suite; 8 slots of 1500 loopback ports fit below the ephemeral range. */
const MAX_JOBS = 8;

function jobCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_JOBS)
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_JOBS}`);
  return n;
}

function providerName(v: string): ProviderName {
  if (!(PROVIDERS as readonly string[]).includes(v))
    throw new InvalidArgumentError(`expected one of ${PROVIDERS.join(', ')}`);
  return v as ProviderName;
}

function reporterRef(v: string, acc: string[] = []): string[] {
  try {
    return [...acc, checkReporterRef(v)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--reporter: /, ''));
  }
}

/** --history, --no-history and --baseline-runs, the same on `run` and `suite`. */
function withHistoryOptions(cmd: Command, what: string): Command {
  return cmd
    .option(
      '--history <path>',
      `append ${what} to this history file and compare with its earlier runs (default $CHAOS_HARNESS_HISTORY, else ${DEFAULT_HISTORY_FILE})`,
    )
    .option('--no-history', 'neither read nor append to a history file')
    .option(
      '--baseline-runs <n>',
      `the baseline is the median of the last n passing runs, 1 to ${MAX_REPEAT} (default ${DEFAULT_BASELINE_RUNS})`,
      repeatCount,
    );
}

interface HistoryOpts {
  /** A path, or false with --no-history. */
  history?: string | false;
  baselineRuns?: number;
}

/**
 * The history file, checked before anything starts (none with --no-history); its `record` never
 * throws: a run that cannot be appended is said on stderr and the command exits 2 at its end.
 */
function historyFor(opts: HistoryOpts) {
  if (opts.history === false) return undefined;
  const path = resolve(opts.history ?? defaultHistoryFile());
  const file = new RunHistoryFile(path, opts.baselineRuns);
  file.check();
  let failed: unknown;
  return {
    path,
    compare: (sc: LoadedScenario, provider: ProviderName) => file.compare(sc, provider),
    record(report: RunReport): void {
      try {
        file.record(report);
      } catch (err) {
        failed = err;
        process.stderr.write(`error: ${describeError(err)}\n`);
      }
    },
    error: () => failed,
  };
}

/** --drill adds the drill record to whatever reporters were asked for (or to the default ones). */
function withDrill(refs: readonly string[] | undefined, drill: boolean | undefined): string[] {
  const asked = refs && refs.length > 0 ? [...refs] : drill ? [...DEFAULT_REPORTERS] : [];
  return drill && !asked.includes('drill') ? [...asked, 'drill'] : asked;
}

/** Every --reporter made and checked before anything starts; a failing hook is said at once. */
async function reportersFor(refs: readonly string[]): Promise<ReporterSet> {
  const out = process.stdout;
  const named = await loadReporters(refs, {
    stream: out,
    isTTY: Boolean(out.isTTY),
    clock: () => performance.now(),
  });
  return new ReporterSet(named, (f) =>
    process.stderr.write(`reporter ${f.reporter}: ${f.hook} failed: ${f.message}\n`),
  );
}

/** Aborted on the first SIGINT/SIGTERM (the run tears down and reports); a second one exits at once. */
function stopOnSignals(): AbortSignal {
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\n${sig}: stopping the run and tearing everything down (again to force)...\n`);
      ac.abort(new Error(`${sig} received`));
    } else {
      // Forced: the run record stays on disk and the next run cleans up what is left.
      process.stderr.write(`${sig} again: exiting now; the next run will clean up what is left\n`);
      process.exit(2);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A run of `suite --jobs`: when the suite's process is gone (even killed with SIGKILL), its IPC
  // channel closes and the run tears down as on SIGTERM.
  if (process.send) {
    process.channel?.unref();
    process.once('disconnect', () => {
      if (!ac.signal.aborted) {
        process.stderr.write(
          '\nthe suite that started this run is gone: stopping the run and tearing everything down...\n',
        );
        ac.abort(new Error('the suite that started this run is gone'));
      }
    });
  }
  return ac.signal;
}

/**
 * A run of `suite --jobs` tells the suite over IPC when its environment is up (or failed to come
 * up), so the suite starts the next run only then: bring-ups, the CPU-heaviest part, never overlap.
 */
function toSuite(sink: ProgressSink): ProgressSink {
  if (!process.send) return sink;
  let told = false;
  return {
    event(e) {
      if (!told && (e.type === 'ready' || (e.type === 'phase' && e.data?.phase === 'teardown'))) {
        told = true;
        process.send?.({ type: 'ready' });
      }
      sink.event(e);
    },
    status: (s) => sink.status(s),
  };
}

function checkWritable(outDir: string, what: string): string {
  const dir = prepareOutputDir(outDir, what);
  prepareOutputDir(tmpdir(), 'TMPDIR');
  prepareOutputDir(recordsDir(), 'run-record directory');
  return dir;
}

async function suite(
  refs: string[],
  opts: HistoryOpts & {
    tag: string[];
    shard?: Shard;
    bail?: boolean;
    out?: string;
    provider?: ProviderName;
    repeat?: number;
    verbose?: boolean;
    operator?: string;
    reporter?: string[];
    drill?: boolean;
    jobs?: number;
  },
): Promise<void> {
  verbose ||= Boolean(opts.verbose);
  const reporters = await reportersFor(withDrill(opts.reporter, opts.drill));
  const { selected, mine } = selectScenarios(scenarioFiles(refs), opts.tag, opts.shard);
  // Every selected file is checked against its environment before the first run starts.
  for (const sc of mine) await checkScenario(sc);
  if (mine.length === 0) {
    throw new HarnessError(
      'INVALID_INPUT',
      `suite: nothing to run (${selected.length} scenario(s) selected${opts.shard ? `, none in shard ${opts.shard.index}/${opts.shard.total}` : ''})`,
    );
  }
  const outDir = checkWritable(
    opts.out ?? join('runs', `suite-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    '--out',
  );
  const history = historyFor(opts);
  const signal = stopOnSignals();
  const shards = opts.shard ? [`${opts.shard.index}/${opts.shard.total}`] : [];
  const summary = await runSuite({
    scenarios: mine,
    selection: { refs, tags: opts.tag, shards, selected: selected.length },
    outDir,
    provider: opts.provider,
    repeat: opts.repeat,
    bail: opts.bail,
    signal,
    jobs: opts.jobs,
    estimateMs: declaredMs,
    run: async (o) => {
      if ((opts.jobs ?? 1) > 1) {
        // Its own process and its own ports; it reads and appends the history itself.
        return runInChild({
          ...o,
          operator: opts.operator,
          history: history?.path ?? false,
          baselineRuns: opts.baselineRuns,
          ports: slotPortRange(o.slot),
        });
      }
      // Read before each run, so a scenario the suite runs twice compares with its first run.
      const context = history?.compare(o.scenario, providerOf(o.scenario, o.provider));
      const report = await runScenario({ ...o, operator: opts.operator, history: context });
      history?.record(report);
      return report;
    },
    reporters,
    shard: shards[0],
  });
  const failed = reporters.error() ?? history?.error();
  if (failed) fail(failed);
  process.exitCode = summary.exitCode;
}

async function merge(dirs: string[], opts: { out: string }): Promise<void> {
  const outDir = prepareOutputDir(opts.out, '--out');
  const summary = mergeSummaries(
    dirs.map((dir) => ({ summary: readSummary(dir), dir: resolve(dir) })),
    resolve(outDir),
  );
  const paths = writeSuiteOutputs(summary, outDir);
  process.stdout.write(`${renderSummaryMarkdown(summary)}\nwritten: ${paths.join(', ')}\n`);
  process.exitCode = summary.exitCode;
}

async function run(
  ref: string,
  opts: HistoryOpts & {
    repeat?: number;
    out?: string;
    verbose?: boolean;
    provider?: ProviderName;
    operator?: string;
    reporter?: string[];
    drill?: boolean;
  },
): Promise<void> {
  verbose ||= Boolean(opts.verbose);
  const reporters = await reportersFor(withDrill(opts.reporter, opts.drill));
  const scenario = await loadCheckedScenario(ref);
  // Every place the run writes is checked before anything starts (a hang on /proc, a full disk).
  const outDir = opts.out === undefined ? undefined : prepareOutputDir(opts.out, '--out');
  if (outDir === undefined) prepareOutputDir('runs', 'report directory');
  prepareOutputDir(tmpdir(), 'TMPDIR');
  prepareOutputDir(recordsDir(), 'run-record directory');
  const history = historyFor(opts);
  const signal = stopOnSignals();
  const report = await runScenario({
    scenario,
    outDir,
    repeat: opts.repeat,
    provider: opts.provider,
    operator: opts.operator,
    progress: toSuite(reporters.sink),
    onStart: (start) => reporters.runStart(scenario, start),
    signal,
    history: history?.compare(scenario, providerOf(scenario, opts.provider)),
  });
  history?.record(report);
  // A ReportWriteError (a full disk) is thrown after the summary, which names what was written.
  await reporters.runEnd(report, report.runDir);
  const failed = reporters.error() ?? history?.error();
  if (failed) fail(failed);
  process.exitCode = report.exitCode;
}

async function list(): Promise<void> {
  const scenariosDir = join(PROJECT_ROOT, 'scenarios');
  const envDir = join(PROJECT_ROOT, 'environments');
  const line = (name: string, desc: string | undefined) =>
    `  ${name.padEnd(34)} ${(desc ?? '').split('\n')[0]}`;
  process.stdout.write('Scenarios (npm run scenario <name>)\n');
  for (const f of readdirSync(scenariosDir)
    .filter((x) => x.endsWith('.yaml'))
    .sort()) {
    let desc: string | undefined;
    try {
      desc = (await loadCheckedScenario(join(scenariosDir, f))).spec.description;
    } catch (err) {
      const m = toHarnessError(err).message;
      desc = `(invalid: ${m.split('\n')[1]?.trim() ?? m})`;
    }
    process.stdout.write(`${line(basename(f, '.yaml'), desc)}\n`);
  }
  process.stdout.write('\nEnvironments\n');
  for (const d of readdirSync(envDir, { withFileTypes: true }).filter((x) => x.isDirectory())) {
    const dir = join(envDir, d.name);
    const kind = environmentKind(dir);
    if (!kind) continue;
    let desc: string | undefined;
    try {
      const readme =
        kind === 'yaml' ? (readYaml(join(dir, 'environment.yaml')) as { description?: string }) : undefined;
      desc = readme?.description ?? '(TypeScript environment; see its README.md)';
    } catch {
      desc = '(invalid environment.yaml)';
    }
    process.stdout.write(`${line(d.name, desc)}\n`);
  }
}

const program = new Command('chaos-harness')
  .description('Run chaos and disaster-recovery scenarios against real stacks and check recovery targets')
  .option('--verbose', 'show stack traces of harness errors')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('run', { isDefault: true })
  .description('run a scenario (a name from scenarios/ or a path to a YAML file)')
  .argument('<scenario>', 'scenario name or file')
  .option('--repeat <n>', `iterations, 1 to ${MAX_REPEAT} (overrides the scenario)`, repeatCount)
  .option(
    '--provider <name>',
    `how services run: ${PROVIDERS.join(' or ')} (default: the scenario's, else local)`,
    providerName,
  )
  .option('--out <dir>', 'report directory (default runs/<scenario>-<timestamp>)')
  .option(
    '--operator <name>',
    'who runs it, for the report (default: $CHAOS_HARNESS_OPERATOR, else the OS user)',
  )
  .option(
    '--reporter <name|path>',
    `${BUILTIN_REPORTER_NAMES.join(', ')}, or a module's path (repeatable; default: console, json, markdown, junit and html)`,
    reporterRef,
  )
  .option('--drill', 'also write drill.md, a DR drill record (after-action report) to complete by hand')
  .option('--verbose', 'show stack traces of harness errors')
  .action(run);
withHistoryOptions(program.commands.at(-1) as Command, 'the run');

program
  .command('suite')
  .description(
    'run several scenarios (one after another, or --jobs at once) and write summary.md, summary.json, summary.html and one junit.xml',
  )
  .argument('[scenarios...]', 'names, files or globs (default: every scenario in scenarios/)')
  .option(
    '--tag <tag>',
    'only scenarios with this tag (repeatable: all of them)',
    (v: string, acc: string[]) => [...acc, v],
    [],
  )
  .option('--shard <i/n>', 'run only the i-th of n shares (CI matrices; `merge` joins them)', (v: string) => {
    try {
      return parseShard(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message.replace(/^--shard: /, ''));
    }
  })
  .option('--bail', 'stop after the first scenario that does not behave as declared')
  .option(
    '--jobs <n>',
    `runs at once, 1 to ${MAX_JOBS} (default 1); above 1 each run has a process and ports of its own, the longest start first, and every report names the runs it overlapped`,
    jobCount,
  )
  .option('--repeat <n>', `iterations of each scenario, 1 to ${MAX_REPEAT}`, repeatCount)
  .option('--provider <name>', `how services run: ${PROVIDERS.join(' or ')}`, providerName)
  .option(
    '--out <dir>',
    'output directory (default runs/suite-<timestamp>): one folder per scenario + the summary',
  )
  .option(
    '--operator <name>',
    'who runs it, for the reports (default: $CHAOS_HARNESS_OPERATOR, else the OS user)',
  )
  .option(
    '--reporter <name|path>',
    `${BUILTIN_REPORTER_NAMES.join(', ')}, or a module's path (repeatable; default: console, json, markdown, junit and html)`,
    reporterRef,
  )
  .option(
    '--drill',
    'also write drill.md next to the summary: a DR drill record (after-action report) to complete by hand',
  )
  .option('--verbose', 'show stack traces of harness errors')
  .action(suite);
withHistoryOptions(program.commands.at(-1) as Command, 'each run');

program
  .command('merge')
  .description('join the outputs of several suite shards into one summary (json, md, html) and junit.xml')
  .argument('<dirs...>', "the shards' --out directories")
  .requiredOption('--out <dir>', 'where the merged summary goes')
  .action(merge);

program.command('list').description('list scenarios and environments').action(list);

program
  .command('validate')
  .description('check scenario, environment or targets files without running anything')
  .argument('<files...>')
  .action(async (files: string[]) => {
    let bad = 0;
    for (const f of files) {
      try {
        process.stdout.write(`${await validateFile(f)}\n`);
      } catch (err) {
        bad++;
        process.stderr.write(`${describeError(err)}\n`);
      }
    }
    if (bad > 0) process.exit(2);
  });

try {
  await program.parseAsync(process.argv);
  // Every command has released what it started (teardown and reports are awaited), and the exit
  // code is set: end here, once the output is flushed, instead of leaving it to Node's own exit
  // cleanup. After a 27-scenario containers suite (2026-12-02) that cleanup spun at 100% CPU for
  // 10 minutes with the summary written (gdb: FreeEnvironment -> CleanupHandles -> uv_run, no
  // system call, no container or child left); the cause is not found yet.
  await new Promise<void>((done) => process.stdout.write('', () => done()));
  await new Promise<void>((done) => process.stderr.write('', () => done()));
  process.exit(process.exitCode ?? 0);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  fail(err);
}
