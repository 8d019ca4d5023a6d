// Wall time of the whole built-in suite, per scenario and in total, split into the phases of a run
// (bring-up, steady state, fault and recovery, observe, verify, settle, teardown) from each run's
// report.json events, next to the figures measured before the suite was made faster.
// Issue target: every built-in scenario once on the local provider in at most 5 min on 2 cores.
// --jobs N (default 4) runs that many at once (`suite --jobs`); it prints each run's verdict and RTOs
// next to the run before (one at a time), and how busy the host's CPUs were while each ran.
//   node --import tsx bench/suite-time.ts [--jobs N] [--provider local] [--out DIR] [--save FILE] [--before FILE]
//   node --import tsx bench/suite-time.ts --from DIR   (the breakdown of a suite already run, --out DIR)
// Run it alone on the machine (flock /tmp/chaos-heavy.lock ...): the scenarios measure timing.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunReport } from '../src/core/report-model.js';
import { readRunReports, type SuiteSummary } from '../src/suite/summary.js';
import {
  addBreakdowns,
  type Breakdown,
  BUCKETS,
  breakdownOf,
  emptyBreakdown,
  harnessShare,
  sharedBringUpBound,
} from './suite-phases.js';

const TARGET_MS = 5 * 60_000;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_BEFORE = join(ROOT, 'bench', 'suite-time.before.json');

interface ScenarioFigures {
  name: string;
  environment: string;
  provider: string;
  options: unknown;
  verdict: string;
  asDeclared: boolean;
  wallMs: number;
  phases: Breakdown;
  /** Each iteration's RTO (ms; null: not recovered or no impact). */
  rtoMs?: (number | null)[];
  /** The host's CPUs while the run went (report facts), percent of all CPUs. */
  cpuBusy?: { meanPct: number; maxPct: number };
}

/** What --save writes and --before reads. */
export interface SuiteFigures {
  date: string;
  command: string;
  load: { start: number[]; end: number[] };
  commit: string;
  suiteWallMs: number;
  exitCode: number;
  /** Runs at once (absent: 1). */
  jobs?: number;
  scenarios: ScenarioFigures[];
  total: Breakdown;
}

const { values: args } = parseArgs({
  options: {
    provider: { type: 'string', default: 'local' },
    out: { type: 'string' },
    from: { type: 'string' },
    save: { type: 'string' },
    before: { type: 'string', default: DEFAULT_BEFORE },
    jobs: { type: 'string', default: '4' },
  },
});
const jobs = Number(args.jobs);
if (!Number.isInteger(jobs) || jobs < 1 || jobs > 8) {
  console.error(`--jobs ${args.jobs}: expected a whole number from 1 to 8`);
  process.exit(2);
}

function commitOf(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Runs the suite with the harness's own command, as a nightly job does; resolves to its exit code. */
function runSuiteCommand(cmd: string[]): Promise<number> {
  return new Promise((done, fail) => {
    // In a process group of its own, so that Ctrl-C reaches it once, passed on by the bench (a
    // second signal would make it exit without tearing down); the bench waits for its teardown.
    const child = spawn(process.execPath, cmd, {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', fail);
    child.on('exit', (code, signal) => done(code ?? (signal ? 2 : 0)));
  });
}

function figuresOf(
  dir: string,
  meta: Omit<SuiteFigures, 'suiteWallMs' | 'exitCode' | 'scenarios' | 'total'>,
) {
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as SuiteSummary;
  const reports = readRunReports(summary, dir);
  const scenarios = summary.scenarios.map((e, i): ScenarioFigures => {
    const report = reports[i] as RunReport;
    return {
      name: e.name,
      environment: report.environment.name,
      provider: report.environment.provider,
      options: report.facts.environmentOptions,
      verdict: e.verdict,
      asDeclared: e.exitCode === 0,
      wallMs: report.wallMs,
      phases: breakdownOf(report.events, report.wallMs),
      rtoMs: report.iterations.map((it) => it.rtoMs),
      ...(report.facts.host.cpuBusy
        ? {
            cpuBusy: { meanPct: report.facts.host.cpuBusy.meanPct, maxPct: report.facts.host.cpuBusy.maxPct },
          }
        : {}),
    };
  });
  const jobsRun = Math.max(1, ...reports.map((r) => r.facts.suite?.jobs ?? 1));
  const total = scenarios.reduce((acc, s) => addBreakdowns(acc, s.phases), emptyBreakdown());
  // Between runs: loading, the reporters' files, the next run's start (outside every run's clock).
  total.other += Math.max(0, summary.wallMs - scenarios.reduce((a, s) => a + s.wallMs, 0));
  return {
    ...meta,
    suiteWallMs: summary.wallMs,
    exitCode: summary.exitCode,
    ...(jobsRun > 1 ? { jobs: jobsRun } : {}),
    scenarios,
    total,
  };
}

const sec = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(1));
const minSec = (ms: number) => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

function print(now: SuiteFigures, before: SuiteFigures | undefined): void {
  const cols = ['wall', ...BUCKETS];
  const rows: string[][] = [
    [
      'scenario',
      'verdict',
      ...cols.map((c) => `${c} s`),
      'wall before s',
      'verdict before',
      'RTO s (each iteration)',
      'RTO before s',
      'host CPU % mean/max',
    ],
  ];
  const rtos = (r: (number | null)[] | undefined) =>
    r ? r.map((x) => (x === null ? '-' : (x / 1000).toFixed(2))).join(' ') : '';
  for (const s of now.scenarios) {
    const b = before?.scenarios.find((x) => x.name === s.name);
    rows.push([
      s.name,
      `${s.verdict}${s.asDeclared ? '' : ' (NOT as declared)'}`,
      sec(s.wallMs),
      ...BUCKETS.map((k) => sec(s.phases[k])),
      sec(b?.wallMs),
      b ? `${b.verdict}${b.asDeclared ? '' : ' (NOT as declared)'}` : '-',
      rtos(s.rtoMs),
      rtos(b?.rtoMs),
      s.cpuBusy ? `${Math.round(s.cpuBusy.meanPct)}/${Math.round(s.cpuBusy.maxPct)}` : '-',
    ]);
  }
  const sum = (f: SuiteFigures) => f.scenarios.reduce((a, s) => a + s.wallMs, 0);
  rows.push([
    'total (suite)',
    '',
    sec(now.suiteWallMs),
    ...BUCKETS.map((k) => sec(now.total[k])),
    '',
    '',
    '',
    '',
    '',
  ]);
  if (before)
    rows.push([
      'total before',
      '',
      sec(before.suiteWallMs),
      ...BUCKETS.map((k) => sec(before.total[k])),
      '',
      '',
      '',
      '',
      '',
    ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows)
    console.log(r.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '));
  console.log(
    `\nsuite: ${minSec(now.suiteWallMs)} (${now.date}, load ${now.load.start.map((l) => l.toFixed(2)).join(' ')} at the start, ` +
      `${now.load.end.map((l) => l.toFixed(2)).join(' ')} at the end; ${now.command})`,
  );
  if (before)
    console.log(
      `before: ${minSec(before.suiteWallMs)} (${before.date}, load ${before.load.start.map((l) => l.toFixed(2)).join(' ')} at the start; ${before.command}, ${before.commit})`,
    );
  const own = harnessShare(now.total);
  console.log(
    `runs at once: ${now.jobs ?? 1}${before ? ` (before: ${before.jobs ?? 1})` : ''}; the runs' wall times add up to ${sec(sum(now))} s` +
      `${before ? ` (before: ${sec(sum(before))} s)` : ''}, the suite took ${sec(now.suiteWallMs)} s`,
  );
  const busy = now.scenarios.filter((s) => s.cpuBusy);
  if (busy.length > 0) {
    const weighted =
      busy.reduce((a, s) => a + (s.cpuBusy?.meanPct ?? 0) * s.wallMs, 0) /
      busy.reduce((a, s) => a + s.wallMs, 0);
    console.log(
      `host CPU busy while the runs went (all processes, 1 s samples in each run's facts): mean ${weighted.toFixed(1)}% weighted by wall time, ` +
        `busiest second ${Math.max(...busy.map((s) => s.cpuBusy?.maxPct ?? 0)).toFixed(1)}%`,
    );
  }
  console.log(
    `the harness's own phases (bring-up, verify, teardown, other): ${sec(own)} s of the runs' ${sec(sum(now))} s ` +
      `(${Math.round((own / sum(now)) * 100)}%); the rest is steady state, fault and recovery, observe and settle, ` +
      'whose lengths the scenarios and the stacks fix',
  );
  if ((now.jobs ?? 1) === 1) {
    const shared = sharedBringUpBound(now.scenarios);
    console.log(
      `one bring-up shared by consecutive scenarios of the same environment, options and provider would save at most ${sec(shared.savedMs)} s` +
        (shared.pairs.length ? ` (${shared.pairs.join(', ')})` : ''),
    );
  }
  if (before) {
    const changed = now.scenarios.filter((s) => {
      const b = before.scenarios.find((x) => x.name === s.name);
      return b && (b.verdict !== s.verdict || b.asDeclared !== s.asDeclared);
    });
    console.log(
      `verdicts different from the run before: ${changed.length === 0 ? 'none' : changed.map((s) => s.name).join(', ')}`,
    );
  }
  const declared = now.scenarios.filter((s) => s.asDeclared).length;
  console.log(
    `${declared} of ${now.scenarios.length} scenarios behaved as declared; target <= ${minSec(TARGET_MS)}: ${now.suiteWallMs <= TARGET_MS ? 'met' : 'NOT met'}`,
  );
}

const before = existsSync(args.before)
  ? (JSON.parse(readFileSync(args.before, 'utf8')) as SuiteFigures)
  : undefined;
let figures: SuiteFigures;
if (args.from) {
  figures = figuresOf(resolve(args.from), {
    date: '(from a suite already run)',
    command: `--from ${args.from}`,
    load: { start: [], end: loadavg() },
    commit: commitOf(),
  });
} else {
  const out = args.out ? resolve(args.out) : mkdtempSync(join(tmpdir(), 'bench-suite-time-'));
  const cmd = [
    'bin/chaos-harness.js',
    'suite',
    '--jobs',
    String(jobs),
    '--provider',
    args.provider,
    '--reporter',
    'json',
    '--out',
    out,
  ];
  const date = new Date().toISOString();
  const start = loadavg();
  try {
    console.log(
      `running every built-in scenario (${args.provider} provider, ${jobs} at once) into ${out}; reports there as they end`,
    );
    await runSuiteCommand(cmd);
    figures = figuresOf(out, {
      date,
      command: `node ${cmd.join(' ').replace(out, 'DIR')}`,
      load: { start, end: loadavg() },
      commit: commitOf(),
    });
  } finally {
    if (!args.out) rmSync(out, { recursive: true, force: true });
  }
}
if (args.save) writeFileSync(args.save, `${JSON.stringify(figures, null, 2)}\n`);
print(figures, before);
