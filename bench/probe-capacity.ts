// How fast can each probe kind keep its open-loop schedule on one core? Drives the real probes
// (http, tcp, http-write against a tiny local HTTP server; postgres-write against a local
// pg_auto_failover cluster; redis-write against a local Redis Sentinel set, all started the way the
// tests start them) and the open-loop scheduler alone with a no-op (`no-op`) at rising rates, and
// prints per kind and rate the requested vs achieved rate, the share of successful operations and
// their p99 latency, the schedule lag (an op's start behind its slot: core/metrics/schedule.ts,
// what the PROBE_BEHIND_SCHEDULE rule judges) and the harness's CPU time per operation. The
// harness is pinned to CPU 0 and the servers to CPU 1 with taskset, when there is one and two CPUs.
// The target line: the http probe holds 5,000 ops/s with p99 schedule lag under 2 ms.
//   npm run bench:probe-capacity -- [--seconds 3] [--rates 100,500,1000,2000,5000,10000] [--kinds http,tcp]
import 'disposablestack/auto';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import postgresHa, { postgresHaOptions } from '../environments/postgres-ha/environment.js';
import redisSentinel, { redisSentinelOptions } from '../environments/redis-sentinel/environment.js';
import { createClock } from '../src/core/clock.js';
import { computeSchedule, percentile } from '../src/core/metrics.js';
import type { ProbeSchedule } from '../src/core/report-model.js';
import type { AnyProbe, RunContext, TargetSelector } from '../src/core/types.js';
import { builtinProbes } from '../src/probes/index.js';
import { runOpenLoop } from '../src/probes/running-open-loop.js';
import { startEnvironment } from '../src/providers/start-environment.js';
import { PROJECT_ROOT } from '../src/scenario/load.js';
import { testContext } from '../src/testing/test-context.js';

const KINDS = ['no-op', 'http', 'tcp', 'http-write', 'postgres-write', 'redis-write'] as const;
type Kind = (typeof KINDS)[number];
const TARGET = { kind: 'http' as Kind, rate: 5000, p99LagMs: 2, minAchieved: 0.99, minOk: 0.99 };
const TIMEOUT_MS = 1000;
const WARMUP_MS = 1000;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rates: { type: 'string', default: '100,500,1000,2000,5000,10000' },
    kinds: { type: 'string', default: KINDS.join(',') },
    'no-pin': { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const rates = args.rates.split(',').map(Number);
const kinds = args.kinds.split(',') as Kind[];
for (const k of kinds)
  if (!KINDS.includes(k)) throw new Error(`unknown kind ${k}; known: ${KINDS.join(', ')}`);

// Ctrl-C and SIGTERM stop the measurement; the stacks below are released before exiting.
const interrupt = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (!interrupt.signal.aborted) console.error(`\n${sig}: stopping and cleaning up`);
    interrupt.abort(new Error(sig));
  });
}

interface Target {
  /** A built-in probe kind, or the scheduler alone (`no-op`). */
  probe: AnyProbe;
  ctx: RunContext;
  target: TargetSelector;
  params: unknown;
}

interface Row {
  kind: Kind;
  schedule: ProbeSchedule;
  okShare: number;
  latencyP99Ms: number | null;
  cpuUsPerOp: number;
}

/** Processes whose parent chain leads to `root` (not `root` itself), from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {}
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    for (const c of children.get(todo.pop() as number) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

const taskset = (cpu: number, pid: number) =>
  spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' }).status === 0;

/** The harness on CPU 0 (every thread), every server it started on CPU 1. Says what it did. */
function pin(): string {
  if (args['no-pin']) return 'not pinned (--no-pin)';
  if (spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status !== 0) return 'not pinned: no taskset';
  if (!taskset(0, process.pid)) return 'not pinned: taskset failed';
  if (cpus().length < 2) return 'harness pinned to CPU 0; servers share it (one CPU)';
  const servers = descendants(process.pid).filter((pid) => taskset(1, pid));
  return `harness pinned to CPU 0, its ${servers.length} child processes (the servers) to CPU 1`;
}

/** The open-loop scheduler with an operation that does nothing: the ceiling of every kind. */
const noOp: AnyProbe = {
  params: z.object({}),
  async start(ctx, _params, common) {
    return runOpenLoop(ctx, 'no-op', common, async () => undefined);
  },
};

async function measure(kind: Kind, t: Target, rate: number, ms: number): Promise<Row> {
  const { probe } = t;
  const params = probe.params.parse(t.params);
  const intervalMs = 1000 / rate;
  const common = { name: `${kind}-${rate}`, intervalMs, timeoutMs: TIMEOUT_MS, target: t.target };
  const running = await probe.start(t.ctx, params, common);
  try {
    const fromMs = t.ctx.clock.now();
    const cpu = process.cpuUsage();
    await sleep(ms, undefined, { signal: interrupt.signal });
    const used = process.cpuUsage(cpu);
    const endMs = t.ctx.clock.now();
    await running.stop();
    const ops = running.ops();
    const inWindow = ops.filter((o) => o.startMs >= fromMs && o.startMs <= endMs);
    const ok = inWindow.filter((o) => o.outcome === 'ok');
    return {
      kind,
      schedule: computeSchedule(ops, { intervalMs, endMs }),
      okShare: ok.length / Math.max(1, inWindow.length),
      latencyP99Ms: percentile(
        ok.map((o) => o.endMs - o.startMs),
        99,
      ),
      cpuUsPerOp: (used.user + used.system) / Math.max(1, inWindow.length),
    };
  } finally {
    await running[Symbol.asyncDispose]();
  }
}

const num = (v: number | null, digits = 2) => (v === null ? '—' : v.toFixed(digits));
const HEADER =
  'kind            requested/s  achieved/s  ok %   lat p99    lag p50   lag p99   lag max   late %   CPU µs/op';
function line(r: Row): string {
  const s = r.schedule;
  return [
    r.kind.padEnd(15),
    num(s.requestedPerSec, 0).padStart(11),
    num(s.achievedPerSec, 0).padStart(11),
    num(r.okShare * 100, 1).padStart(6),
    `${num(r.latencyP99Ms, 1)} ms`.padStart(9),
    `${num(s.lagP50Ms)} ms`.padStart(10),
    `${num(s.lagP99Ms)} ms`.padStart(9),
    `${num(s.lagMaxMs, 1)} ms`.padStart(9),
    num(s.lateShare * 100, 1).padStart(8),
    num(r.cpuUsPerOp, 1).padStart(11),
  ].join(' ');
}

function verdict(rows: readonly Row[]): { pass: boolean; text: string } {
  const r = rows.find((x) => x.kind === TARGET.kind && x.schedule.requestedPerSec === TARGET.rate);
  const what = `${TARGET.kind} probe holds ${TARGET.rate} ops/s with p99 schedule lag < ${TARGET.p99LagMs} ms on one core`;
  if (!r) return { pass: false, text: `target: ${what}: FAIL (not measured: run with that kind and rate)` };
  const s = r.schedule;
  const pass =
    s.achievedPerSec >= TARGET.minAchieved * TARGET.rate &&
    s.lagP99Ms !== null &&
    s.lagP99Ms < TARGET.p99LagMs &&
    r.okShare >= TARGET.minOk;
  const got = `achieved ${num(s.achievedPerSec, 0)}/s, p99 lag ${num(s.lagP99Ms)} ms, ${num(r.okShare * 100, 1)}% ok, ${num(r.cpuUsPerOp, 1)} µs CPU/op`;
  return { pass, text: `target: ${what}: ${pass ? 'PASS' : 'FAIL'} (${got})` };
}

/**
 * The servers one group of kinds runs against, started on `stack`, and each kind's target. Each
 * group's servers run only while it is measured: a cluster's controller in this process would
 * add its own work to every other kind's figures.
 */
interface Group {
  kinds: readonly Kind[];
  start(stack: AsyncDisposableStack): Promise<Map<Kind, Target>>;
}

const probeOn = (kind: Exclude<Kind, 'no-op'>, ctx: RunContext, target: TargetSelector, params: unknown) =>
  [kind, { probe: builtinProbes[kind] as AnyProbe, ctx, target, params }] as const;

const GROUPS: readonly Group[] = [
  {
    kinds: ['no-op'],
    // runOpenLoop reads nothing of the context but its clock.
    start: async () =>
      new Map([
        ['no-op', { probe: noOp, ctx: { clock: createClock() } as RunContext, target: {}, params: {} }],
      ]),
  },
  {
    kinds: ['http', 'tcp', 'http-write'],
    async start(stack) {
      const ctx = stack.use(testContext('probe-capacity', join(PROJECT_ROOT, 'bench/fixtures/answer-all')));
      const run = ctx.runContext(
        stack.use(await startEnvironment(ctx, undefined, 'bench/probe-capacity.ts')),
      );
      const api = { service: 'api' };
      return new Map([
        probeOn('http', run, api, { path: '/health' }),
        probeOn('tcp', run, api, { endpoint: 'http' }),
        probeOn('http-write', run, api, { path: '/kv/{id}', readPath: '/kv/{id}' }),
      ]);
    },
  },
  {
    kinds: ['postgres-write'],
    async start(stack) {
      const ctx = stack.use(testContext('probe-capacity-pg', join(PROJECT_ROOT, 'environments/postgres-ha')));
      const env = stack.use(await postgresHa.start(ctx, postgresHaOptions.parse({})));
      return new Map([probeOn('postgres-write', ctx.runContext(env), { role: 'primary' }, {})]);
    },
  },
  {
    kinds: ['redis-write'],
    async start(stack) {
      const dir = join(PROJECT_ROOT, 'environments/redis-sentinel');
      const ctx = stack.use(testContext('probe-capacity-redis', dir));
      // No fault proxy: it would run in this process and be measured as the probe's cost.
      const env = stack.use(await redisSentinel.start(ctx, redisSentinelOptions.parse({ viaProxy: false })));
      return new Map([probeOn('redis-write', ctx.runContext(env), { role: 'primary' }, {})]);
    },
  },
];

async function main(): Promise<boolean> {
  const load = loadavg().map((l) => l.toFixed(2));
  console.log(`probe-capacity ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPUs`);
  console.log(`${seconds} s per step, op timeout ${TIMEOUT_MS} ms; load average ${load.join(' ')}`);
  console.log(HEADER);
  const rows: Row[] = [];
  for (const group of GROUPS) {
    const mine = kinds.filter((k) => group.kinds.includes(k));
    if (mine.length === 0) continue;
    await using stack = new AsyncDisposableStack();
    const targets = await group.start(stack);
    interrupt.signal.throwIfAborted();
    console.log(`# ${mine.join(', ')}: ${pin()}`);
    for (const kind of mine) {
      const t = targets.get(kind) as Target;
      await measure(kind, t, Math.min(...rates), WARMUP_MS);
      for (const rate of rates) {
        const row = await measure(kind, t, rate, seconds * 1000);
        rows.push(row);
        console.log(line(row));
        await sleep(300, undefined, { signal: interrupt.signal });
      }
    }
  }
  const v = verdict(rows);
  console.log(v.text);
  console.log(
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  return v.pass;
}

try {
  const pass = await main();
  process.exitCode = pass ? 0 : 1;
} catch (err) {
  if (!interrupt.signal.aborted) throw err;
  process.exitCode = 130;
}
