// How close the measured RTO is to the true one. An in-process HTTP server is switched to fail for
// exactly D ms by a timer, so the true RTO (switch on → first instant it serves again) is known from
// the same clock the probes use. Probes at several intervals watch the same outage through the
// harness's OpenLoop and computeRto, so every interval sees identical outages; the steady-state
// warm-up and each probe's start are randomised so its ticks fall at a different phase of each outage.
//   node --import tsx bench/rto-accuracy.ts
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClock } from '../src/core/clock.js';
import { computeRto, percentile } from '../src/core/metrics.js';
import type { Clock } from '../src/core/types.js';
import { OpenLoop } from '../src/probes/open-loop.js';

const INTERVALS_MS = [10, 50, 100, 250] as const;
const OUTAGES_MS = [1000, 3000] as const;
/** 503: the server answers but refuses; reset: the connection is destroyed, as when a process dies. */
const MODES = ['503', 'reset'] as const;
const REPETITIONS = 4;
const STABLE_FOR_MS = 500;
const OP_TIMEOUT_MS = 1000;
const WARMUP_MS = 300;
/**
 * Allowance on both sides for request latency and timer lateness: an op that starts just before the
 * switch back reaches the server after it (measured < true), and a late tick starts the first good op
 * late. Server and probes share one event loop, so on a busy 2-core machine this reaches several ms.
 */
const LATENCY_TOLERANCE_MS = 10;
const TOTAL_CAP_MS = 85_000;

type Mode = (typeof MODES)[number];

interface FlakyServer {
  url: string;
  /** Fail every request from now on (in `mode`) until `heal()`. */
  fail(mode: Mode): void;
  heal(): void;
  close(): Promise<void>;
}

interface Measurement {
  mode: Mode;
  outageMs: number;
  intervalMs: number;
  /** Switch on → switch off, from the probes' clock (the timer fires a little after D). */
  trueRtoMs: number;
  measuredRtoMs: number | null;
  /** Failures before the outage: the measurement would be meaningless. */
  failuresBeforeOutage: number;
}

async function startFlakyServer(): Promise<FlakyServer> {
  let failing: Mode | undefined;
  const server: Server = createServer((req, res) => {
    if (failing === 'reset') {
      req.socket.destroy();
      return;
    }
    res.writeHead(failing === '503' ? 503 : 200, { 'content-type': 'text/plain' });
    res.end(failing ? 'down' : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/health`,
    fail: (mode) => {
      failing = mode;
    },
    heal: () => {
      failing = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function measureOutage(
  server: FlakyServer,
  clock: Clock,
  mode: Mode,
  outageMs: number,
): Promise<Measurement[]> {
  const loops = INTERVALS_MS.map(
    (intervalMs) =>
      new OpenLoop({
        intervalMs,
        timeoutMs: OP_TIMEOUT_MS,
        clock,
        op: async (signal) => {
          const res = await fetch(server.url, { signal });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
          return undefined;
        },
      }),
  );
  // Random start offsets, or the probes' ticks line up (10 divides 50 divides 100) and the intervals'
  // errors in one outage are correlated instead of independent samples.
  const starts = loops.map((loop, i) =>
    sleep(Math.random() * (INTERVALS_MS[i] as number)).then(() => loop.start()),
  );
  await sleep(WARMUP_MS + Math.random() * Math.max(...INTERVALS_MS));
  await Promise.all(starts);

  const tInjectMs = clock.now();
  server.fail(mode);
  const tRecoveredMs = await new Promise<number>((resolve) =>
    setTimeout(() => {
      server.heal();
      resolve(clock.now());
    }, outageMs),
  );
  // Long enough for the slowest probe to prove a stable run after recovery.
  await sleep(STABLE_FOR_MS + Math.max(...INTERVALS_MS) * 2 + 100);
  await Promise.all(loops.map((l) => l.stop()));

  return loops.map((loop, i) => {
    const rto = computeRto(loop.ops, {
      tInjectMs,
      stableForMs: STABLE_FOR_MS,
      deadlineMs: tInjectMs + outageMs + 10_000,
    });
    return {
      mode,
      outageMs,
      intervalMs: INTERVALS_MS[i] as number,
      trueRtoMs: tRecoveredMs - tInjectMs,
      measuredRtoMs: rto.rtoMs,
      failuresBeforeOutage: loop.ops.filter((op) => op.outcome !== 'ok' && op.endMs <= tInjectMs).length,
    };
  });
}

interface Row {
  mode: Mode;
  outageMs: number;
  intervalMs: number;
  n: number;
  trueMin: number;
  trueMax: number;
  measuredMin: number | null;
  measuredMedian: number | null;
  measuredMax: number | null;
  errorMin: number | null;
  errorMedian: number | null;
  errorMax: number | null;
  within: number;
  notRecovered: number;
  dirty: number;
}

function summarize(ms: readonly Measurement[]): Row[] {
  const rows: Row[] = [];
  for (const mode of MODES) {
    for (const outageMs of OUTAGES_MS) {
      for (const intervalMs of INTERVALS_MS) {
        const cell = ms.filter(
          (m) => m.mode === mode && m.outageMs === outageMs && m.intervalMs === intervalMs,
        );
        if (cell.length === 0) continue;
        const measured = cell.flatMap((m) => (m.measuredRtoMs === null ? [] : [m.measuredRtoMs]));
        const errors = cell.flatMap((m) => (m.measuredRtoMs === null ? [] : [m.measuredRtoMs - m.trueRtoMs]));
        const within = cell.filter(
          (m) =>
            m.measuredRtoMs !== null &&
            m.measuredRtoMs >= m.trueRtoMs - LATENCY_TOLERANCE_MS &&
            m.measuredRtoMs <= m.trueRtoMs + intervalMs + LATENCY_TOLERANCE_MS,
        ).length;
        rows.push({
          mode,
          outageMs,
          intervalMs,
          n: cell.length,
          trueMin: Math.min(...cell.map((m) => m.trueRtoMs)),
          trueMax: Math.max(...cell.map((m) => m.trueRtoMs)),
          measuredMin: measured.length ? Math.min(...measured) : null,
          measuredMedian: percentile(measured, 50),
          measuredMax: measured.length ? Math.max(...measured) : null,
          errorMin: errors.length ? Math.min(...errors) : null,
          errorMedian: percentile(errors, 50),
          errorMax: errors.length ? Math.max(...errors) : null,
          within,
          notRecovered: cell.length - measured.length,
          dirty: cell.filter((m) => m.failuresBeforeOutage > 0).length,
        });
      }
    }
  }
  return rows;
}

function printTable(rows: readonly Row[], elapsedMs: number): void {
  const f = (v: number | null) => (v === null ? '-' : v.toFixed(1));
  const header = [
    'mode',
    'interval',
    'true RTO (D; actual)',
    'n',
    'measured min',
    'median',
    'max',
    'error min',
    'median',
    'max',
    `within [true-${LATENCY_TOLERANCE_MS}, true+interval+${LATENCY_TOLERANCE_MS}]`,
  ];
  const lines = rows.map((r) => [
    r.mode,
    `${r.intervalMs} ms`,
    `${r.outageMs} ms; ${f(r.trueMin)}-${f(r.trueMax)}`,
    String(r.n),
    f(r.measuredMin),
    f(r.measuredMedian),
    f(r.measuredMax),
    f(r.errorMin),
    f(r.errorMedian),
    f(r.errorMax),
    `${r.within === r.n ? 'yes' : 'NO'} (${r.within}/${r.n})${r.notRecovered ? ` ${r.notRecovered} not recovered` : ''}${r.dirty ? ` ${r.dirty} with failures before the outage` : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
  console.log(
    `\nall times in ms; error = measured - true; stableFor ${STABLE_FOR_MS} ms; ${(elapsedMs / 1000).toFixed(1)} s`,
  );
  const all = rows.every((r) => r.within === r.n);
  console.log(
    '\nRTO resolution = probe interval: the measured RTO is the end of the first successful probe after the\n' +
      'service serves again, so it lies between the true RTO and the true RTO + one interval, give or take the\n' +
      `request latency and timer lateness (allowed here: ${LATENCY_TOLERANCE_MS} ms each side).\n` +
      `Every measurement within that bound: ${all ? 'yes' : 'NO'}.`,
  );
}

async function main(): Promise<void> {
  const clock = createClock();
  const server = await startFlakyServer();
  const measurements: Measurement[] = [];
  const started = clock.now();
  console.log(
    `RTO accuracy: outages ${OUTAGES_MS.join(', ')} ms × modes ${MODES.join(', ')} × ${REPETITIONS} repetitions; ` +
      `probes every ${INTERVALS_MS.join(', ')} ms watch each outage together\n`,
  );
  try {
    // Repetitions outermost so load from other processes spreads over every configuration alike.
    rounds: for (let rep = 0; rep < REPETITIONS; rep++) {
      for (const mode of MODES) {
        for (const outageMs of OUTAGES_MS) {
          const estimateMs = WARMUP_MS + 250 + outageMs + STABLE_FOR_MS + 600;
          if (clock.now() - started + estimateMs > TOTAL_CAP_MS) {
            console.log(`(stopping early after ${rep} full repetitions: time cap ${TOTAL_CAP_MS} ms)\n`);
            break rounds;
          }
          measurements.push(...(await measureOutage(server, clock, mode, outageMs)));
        }
      }
    }
  } finally {
    await server.close();
  }
  printTable(summarize(measurements), clock.now() - started);
}

await main();
