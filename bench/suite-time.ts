// Wall time of the whole built-in suite, per scenario and in total, split into the phases of a run
// (bring-up, steady state, fault and recovery, observe, verify, settle, teardown) from each run's
// report.json events, next to the figures measured before the suite was made faster.
// Issue target: every built-in scenario once on the local provider in at most 5 min on 2 cores.
//   node --import tsx bench/suite-time.ts [--provider local] [--out DIR] [--save FILE] [--before FILE]
//   node --import tsx bench/suite-time.ts --from DIR   (the breakdown of a suite already run, --out DIR)
// Run it alone on the machine (flock /tmp/chaos-heavy.lock ...): the scenarios measure timing.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunReport } from '../src/core/report-model.js';
import type { SuiteSummary } from '../src/suite/summary.js';
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
}

/** What --save writes and --before reads. */
export interface SuiteFigures {
  date: string;
  command: string;
  load: { start: number[]; end: number[] };
  commit: string;
  suiteWallMs: number;
  exitCode: number;
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
  },
});

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
  const scenarios = summary.scenarios.map((e): ScenarioFigures => {
    const report = JSON.parse(readFileSync(join(dir, e.report), 'utf8')) as RunReport;
    return {
      name: e.name,
      environment: report.environment.name,
      provider: report.environment.provider,
      options: report.facts.environmentOptions,
      verdict: e.verdict,
      asDeclared: e.exitCode === 0,
      wallMs: report.wallMs,
      phases: breakdownOf(report.events, report.wallMs),
    };
  });
  const total = scenarios.reduce((acc, s) => addBreakdowns(acc, s.phases), emptyBreakdown());
  // Between runs: loading, the reporters' files, the next run's start (outside every run's clock).
  total.other += Math.max(0, summary.wallMs - scenarios.reduce((a, s) => a + s.wallMs, 0));
  return { ...meta, suiteWallMs: summary.wallMs, exitCode: summary.exitCode, scenarios, total };
}

const sec = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(1));
const minSec = (ms: number) => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

function print(now: SuiteFigures, before: SuiteFigures | undefined): void {
  const cols = ['wall', ...BUCKETS];
  const rows: string[][] = [['scenario', 'verdict', ...cols.map((c) => `${c} s`), 'wall before s']];
  for (const s of now.scenarios) {
    const b = before?.scenarios.find((x) => x.name === s.name);
    rows.push([
      s.name,
      `${s.verdict}${s.asDeclared ? '' : ' (NOT as declared)'}`,
      sec(s.wallMs),
      ...BUCKETS.map((k) => sec(s.phases[k])),
      sec(b?.wallMs),
    ]);
  }
  rows.push(['total (suite)', '', sec(now.suiteWallMs), ...BUCKETS.map((k) => sec(now.total[k])), '']);
  if (before)
    rows.push(['total before', '', sec(before.suiteWallMs), ...BUCKETS.map((k) => sec(before.total[k])), '']);
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
    `the harness's own phases (bring-up, verify, teardown, other): ${sec(own)} s of ${sec(now.suiteWallMs)} s ` +
      `(${Math.round((own / now.suiteWallMs) * 100)}%); the rest is steady state, fault and recovery, observe and settle, ` +
      'whose lengths the scenarios and the stacks fix',
  );
  const shared = sharedBringUpBound(now.scenarios);
  console.log(
    `one bring-up shared by consecutive scenarios of the same environment, options and provider would save at most ${sec(shared.savedMs)} s` +
      (shared.pairs.length ? ` (${shared.pairs.join(', ')})` : ''),
  );
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
      `running every built-in scenario (${args.provider} provider) into ${out}; reports there as they end`,
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
