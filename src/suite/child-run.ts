// One run of a suite with --jobs above 1: `chaos-harness run` in a process of its own, so runs side
// by side share the machine's CPUs but not one event loop (a run's probes never wait on another
// run's work in the harness). The child writes report.json into the run's folder and its console
// output into console.log there; the suite reads the report back for its summary and reporters.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createClock } from '../core/clock.js';
import type { RunReport } from '../core/report-model.js';
import { buildReport, type RunError } from '../core/run/build-report.js';
import { startFacts } from '../core/run/facts.js';
import type { ProviderName } from '../core/types.js';
import { PORT_RANGE_ENV } from '../providers/provider-run.js';
import { newRunId } from '../report/run-dir.js';
import { providerOf, type RunStart } from '../run-scenario.js';
import { type LoadedScenario, PROJECT_ROOT } from '../scenario/load.js';

const BIN = join(PROJECT_ROOT, 'bin', 'chaos-harness.js');

/** Where slot `k` of a suite takes its loopback ports: 1500 of them, below Linux's ephemeral range. */
export function slotPortRange(k: number): string {
  const from = 20000 + 1500 * k;
  return `${from}-${from + 1499}`;
}

/**
 * One run at a time between its process's start and its environment being up: the harness's own
 * start (loading TypeScript) and a bring-up (initdb, a base backup, servers starting) are the
 * CPU-heaviest parts of a run, and runs side by side must not stack them on two cores.
 */
let startGate: Promise<void> = Promise.resolve();

function takeStartGate(): Promise<() => void> {
  let release!: () => void;
  const mine = new Promise<void>((r) => {
    release = r;
  });
  const turn = startGate.then(() => release);
  startGate = startGate.then(() => mine);
  return turn;
}

export interface ChildRunOptions {
  scenario: LoadedScenario;
  outDir: string;
  provider?: ProviderName | undefined;
  repeat?: number | undefined;
  signal?: AbortSignal | undefined;
  onStart?: ((start: RunStart) => void) | undefined;
  operator?: string | undefined;
  /** --history PATH, or false for --no-history; undefined: the child's default. */
  history?: string | false | undefined;
  baselineRuns?: number | undefined;
  /** The slot's port range, "from-to" (slotPortRange). */
  ports: string;
}

/**
 * Runs the scenario in a child `chaos-harness run` and returns its report. When the suite is
 * stopped, the child gets SIGTERM and tears down as a lone run would; when the suite's process
 * dies, the child sees its IPC channel close and does the same. A child that ends without a report
 * (it crashed) becomes an `error` report naming its exit and its console log.
 */
export async function runInChild(o: ChildRunOptions): Promise<RunReport> {
  const runId = newRunId();
  const runDir = resolve(o.outDir);
  const provider = providerOf(o.scenario, o.provider);
  const release = await takeStartGate();
  let released = false;
  const letNextStart = () => {
    if (!released) release();
    released = true;
  };
  // The run's clock, for a report the suite must write itself (the run could not).
  const clock = createClock();
  const errorReport = (code: RunError['code'], message: string): RunReport =>
    buildReport({
      sc: o.scenario,
      provider,
      clock,
      startedAt: clock.isoAt(0),
      runDir,
      repeat: o.repeat ?? o.scenario.spec.repeat,
      iterations: [],
      events: [],
      error: { code, message },
      info: {},
      facts: startFacts({
        runId,
        operator: o.operator,
        scenarioFile: o.scenario.file,
        provider,
        environmentOptions: o.scenario.spec.environmentOptions,
      }).finish({}),
    });
  if (o.signal?.aborted) {
    // Stopped while waiting for its turn: nothing was started.
    letNextStart();
    return errorReport('INTERRUPTED', 'the suite was stopped before this run started');
  }
  o.onStart?.({ runId, runDir, provider });
  const args = [BIN, 'run', o.scenario.file, '--out', runDir, '--reporter', 'json'];
  if (o.provider) args.push('--provider', o.provider);
  if (o.repeat !== undefined) args.push('--repeat', String(o.repeat));
  if (o.operator) args.push('--operator', o.operator);
  if (o.history === false) args.push('--no-history');
  else if (o.history) args.push('--history', o.history);
  if (o.baselineRuns !== undefined) args.push('--baseline-runs', String(o.baselineRuns));
  // The run claims its folder itself; its console goes next to it until it is done, straight into
  // the file: through a pipe, the suite's death would end the run at its next write (EPIPE) before
  // it tore down.
  const logPath = `${runDir}.console.log`;
  const logFd = openSync(logPath, 'w');
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, args, {
      cwd: process.cwd(),
      env: { ...process.env, CHAOS_HARNESS_RUN_ID: runId, [PORT_RANGE_ENV]: o.ports },
      stdio: ['ignore', logFd, logFd, 'ipc'],
      // A process group of its own: Ctrl-C in a terminal signals the whole foreground group, and
      // a run that got the suite's SIGTERM on top of it would take the second signal as "force".
      detached: true,
    });
  } finally {
    closeSync(logFd);
  }
  child.on('message', (m: { type?: string }) => {
    if (m?.type === 'ready') letNextStart();
  });
  const stop = () => child.kill('SIGTERM');
  o.signal?.addEventListener('abort', stop, { once: true });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (done) => {
      child.once('error', (error) => done({ code: null, signal: null, error }));
      child.once('close', (code, signal) => done({ code, signal }));
    },
  );
  letNextStart();
  o.signal?.removeEventListener('abort', stop);
  const reportFile = join(runDir, 'report.json');
  const logIn = join(runDir, 'console.log');
  if (existsSync(runDir)) renameSync(logPath, logIn);
  const logShown = existsSync(logIn) ? logIn : logPath;
  if (existsSync(reportFile)) {
    try {
      return JSON.parse(readFileSync(reportFile, 'utf8')) as RunReport;
    } catch {
      // Fall through: a report cut short is no report.
    }
  }
  const how = exit.error
    ? `could not start (${exit.error.message})`
    : exit.signal
      ? `was killed by ${exit.signal}`
      : `exited with code ${exit.code}`;
  return errorReport(
    'INTERNAL',
    `the run's process (chaos-harness run ${o.scenario.name}) ${how} without writing ${reportFile}; its output is in ${logShown}`,
  );
}
