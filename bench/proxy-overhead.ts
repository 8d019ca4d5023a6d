// What the fault proxy costs with no toxic, next to HAProxy in TCP mode and a direct loopback
// connection, in one run: the round trip a 64-byte ping-pong over one connection adds (median,
// p99) and the throughput of one streaming connection. Modes are measured in interleaved rounds
// so load from other processes hits each alike. Both proxies run in their own process, as a
// Toxiproxy or an HAProxy would.
//
// Each round runs twice, with two placements of the three processes (bench, HAProxy, fault
// proxy): all on one CPU, where handing data to the proxy is a context switch and the figures are
// what the proxies themselves cost; and spread over every CPU, as the scheduler likes, where on an
// idle virtual machine every hop also pays for waking a halted virtual CPU (tens of µs, HAProxy
// alike). The targets are judged on the one-CPU placement; the other is printed for the record.
//   npm run bench:proxy-overhead [-- --profile-proxy DIR]   (DIR receives the proxy's .cpuprofile)
import 'disposablestack/auto';
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Toxiproxy } from 'toxiproxy-node-client';
import { startFaultProxy } from '../src/proxy/fault-proxy.js';
import { startHaproxy } from './haproxy-tcp.js';
import { percentile, pingPong, type StreamResult, startLoopbackServers, stream } from './loopback-load.js';

const PINGS = 4_000;
const WARMUP_PINGS = 400;
const PING_BYTES = 64;
const STREAM_BYTES = 400_000_000;
const STREAM_CAP_MS = 3_000;
const ROUNDS = 5;
const TOTAL_CAP_MS = 170_000;
const TARGET = { addedMedianUs: 50, timesHaproxyMedian: 4, shareOfHaproxyThroughput: 0.8 };

const MODES = ['direct', 'HAProxy', 'fault proxy'] as const;
type Mode = (typeof MODES)[number];

interface Samples {
  rttsUs: number[];
  streams: StreamResult[];
}

interface ModeFigures {
  p50Us: number;
  p99Us: number;
  mbps: number;
}

function summarize(s: Samples): ModeFigures {
  const rtts = [...s.rttsUs].sort((a, b) => a - b);
  const mbps = s.streams.map((x) => x.mbps).sort((a, b) => a - b);
  return { p50Us: percentile(rtts, 0.5), p99Us: percentile(rtts, 0.99), mbps: percentile(mbps, 0.5) };
}

interface Placement {
  name: string;
  cpus: string;
  judged: boolean;
  describe: string;
}

function placements(): Placement[] {
  const n = availableParallelism();
  const last = n - 1;
  const one: Placement = {
    name: 'one CPU',
    cpus: String(last),
    judged: true,
    describe: `bench, HAProxy and fault proxy pinned to CPU ${last}: what the proxies themselves cost`,
  };
  if (n === 1) return [one];
  return [
    one,
    {
      name: 'spread',
      cpus: `0-${last}`,
      judged: false,
      describe: `the three processes free on CPUs 0-${last}: adds the cost of waking an idle CPU`,
    },
  ];
}

/** Every thread of each process onto `cpus` (a taskset list such as "1" or "0-1"). */
function pin(pids: readonly number[], cpus: string): void {
  for (const pid of pids) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    } catch (err) {
      throw new Error(`taskset (Debian package util-linux) could not pin pid ${pid} to CPUs ${cpus}`, {
        cause: err,
      });
    }
  }
}

interface Target {
  what: string;
  measured: number;
  bound: number;
  unit: string;
  pass: boolean;
}

function targets(f: Record<Mode, ModeFigures>): Target[] {
  const ours = f['fault proxy'].p50Us - f.direct.p50Us;
  const theirs = f.HAProxy.p50Us - f.direct.p50Us;
  const bound = Math.max(0, theirs) * TARGET.timesHaproxyMedian;
  const tput = TARGET.shareOfHaproxyThroughput * f.HAProxy.mbps;
  return [
    {
      what: `fault proxy's added median ≤ ${TARGET.addedMedianUs} µs`,
      measured: ours,
      bound: TARGET.addedMedianUs,
      unit: 'µs',
      pass: ours <= TARGET.addedMedianUs,
    },
    {
      what: `fault proxy's added median ≤ ${TARGET.timesHaproxyMedian} × HAProxy's`,
      measured: ours,
      bound,
      unit: 'µs',
      pass: ours <= bound,
    },
    {
      what: `fault proxy's throughput ≥ ${TARGET.shareOfHaproxyThroughput} × HAProxy's`,
      measured: f['fault proxy'].mbps,
      bound: tput,
      unit: 'MB/s',
      pass: f['fault proxy'].mbps >= tput,
    },
  ];
}

const num = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

function table(f: Record<Mode, ModeFigures>): string {
  const col = (s: string) => s.padStart(13);
  const row = (label: string, cell: (m: Mode) => string) =>
    `  ${label.padEnd(20)}${MODES.map((m) => col(cell(m))).join('')}`;
  const added = (m: Mode, k: 'p50Us' | 'p99Us') => (m === 'direct' ? '-' : num(f[m][k] - f.direct[k]));
  return [
    row('', (m) => m),
    row('RTT p50 (µs)', (m) => num(f[m].p50Us)),
    row('RTT p99 (µs)', (m) => num(f[m].p99Us)),
    row('added p50 (µs)', (m) => added(m, 'p50Us')),
    row('added p99 (µs)', (m) => added(m, 'p99Us')),
    row('throughput (MB/s)', (m) => num(f[m].mbps, 0)),
    row('  vs direct', (m) => num(f[m].mbps / f.direct.mbps, 2)),
  ].join('\n');
}

function ratios(f: Record<Mode, ModeFigures>): string {
  const ours = f['fault proxy'];
  const theirs = f.HAProxy;
  const median = (ours.p50Us - f.direct.p50Us) / (theirs.p50Us - f.direct.p50Us);
  const p99 = (ours.p99Us - f.direct.p99Us) / (theirs.p99Us - f.direct.p99Us);
  return `  fault proxy / HAProxy: added median ×${num(median, 2)}, added p99 ×${num(p99, 2)}, throughput ×${num(ours.mbps / theirs.mbps, 2)}`;
}

function targetLines(ts: Target[]): string {
  return ts
    .map((t) => {
      const d = t.unit === 'MB/s' ? 0 : 1;
      const got = `${num(t.measured, d)} ${t.unit}`.padStart(12);
      const limit = `${num(t.bound, d)} ${t.unit}`.padStart(12);
      return `  ${t.what.padEnd(44)}${got}  bound${limit}  ${t.pass ? 'PASS' : 'FAIL'}`;
    })
    .join('\n');
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function profileArgs(): string[] {
  const i = process.argv.indexOf('--profile-proxy');
  if (i < 0) return [];
  const dir = process.argv[i + 1];
  if (!dir) throw new Error('--profile-proxy needs a directory');
  return ['--cpu-prof', '--cpu-prof-dir', dir];
}

async function startProxyChild(
  stack: AsyncDisposableStack,
  stopNow: (() => void)[],
): Promise<{
  child: ChildProcess;
  apiUrl: string;
}> {
  const child = fork(process.argv[1] as string, ['--proxy-child'], {
    execArgv: [...process.execArgv, ...profileArgs()],
  });
  stopNow.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  stack.defer(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    // A polite stop, so that --cpu-prof writes its profile.
    child.send('close');
    await gone;
  });
  const apiUrl = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { apiUrl: string }).apiUrl));
    child.once('exit', (code) => reject(new Error(`fault proxy child exited (${code}) while starting`)));
  });
  return { child, apiUrl };
}

async function main(): Promise<void> {
  const began = performance.now();
  const startLoad = load();
  await using stack = new AsyncDisposableStack();
  // Synchronous stops for the paths that cannot await: Ctrl-C, SIGTERM, the overall time cap.
  const stopNow: (() => void)[] = [];
  const stopAll = () => {
    for (const stop of stopNow.splice(0).reverse()) stop();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    stopAll();
    console.error(`proxy-overhead: stopped by ${signal}`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', stopAll);
  const hardStop = setTimeout(() => {
    console.error(`proxy-overhead: gave up after ${TOTAL_CAP_MS} ms`);
    process.exit(2);
  }, TOTAL_CAP_MS);
  stack.defer(() => {
    clearTimeout(hardStop);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', stopAll);
  });

  const servers = stack.use(await startLoopbackServers());
  const { child, apiUrl } = await startProxyChild(stack, stopNow);
  const api = new Toxiproxy(apiUrl);
  const viaFaultProxy = async (name: string, upstream: number) => {
    const p = await api.createProxy({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` });
    return Number(p.listen.slice(p.listen.lastIndexOf(':') + 1));
  };
  const haproxy = await startHaproxy({ echo: servers.echoPort, sink: servers.sinkPort });
  stopNow.push(() => haproxy.stopNow());
  stack.use(haproxy);

  const ports: Record<Mode, { echo: number; sink: number }> = {
    direct: { echo: servers.echoPort, sink: servers.sinkPort },
    HAProxy: { echo: haproxy.ports.echo ?? 0, sink: haproxy.ports.sink ?? 0 },
    'fault proxy': {
      echo: await viaFaultProxy('echo', servers.echoPort),
      sink: await viaFaultProxy('sink', servers.sinkPort),
    },
  };
  const where = placements();
  const samples = where.map(() =>
    Object.fromEntries(MODES.map((m) => [m, { rttsUs: [], streams: [] } as Samples])),
  ) as Record<Mode, Samples>[];
  const pids = [process.pid, child.pid ?? 0, haproxy.pid];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, placement] of where.entries()) {
        pin(pids, placement.cpus);
        for (const mode of MODES) {
          const into = samples[i]?.[mode] as Samples;
          await pingPong(ports[mode].echo, WARMUP_PINGS, PING_BYTES);
          into.rttsUs.push(...(await pingPong(ports[mode].echo, PINGS, PING_BYTES)));
          into.streams.push(await stream(ports[mode].sink, STREAM_BYTES, STREAM_CAP_MS));
        }
      }
    }
  } finally {
    pin([process.pid], `0-${availableParallelism() - 1}`);
  }

  console.log(
    `proxy overhead, ${new Date().toISOString()}: ${ROUNDS} interleaved rounds of ${PINGS} × ${PING_BYTES}-byte ` +
      `ping-pongs over one connection (percentiles over all rounds) and one stream of up to ${STREAM_BYTES / 1e6} MB ` +
      `or ${STREAM_CAP_MS / 1000} s (median MB/s, 1 MB = 10^6 bytes)`,
  );
  console.log(
    `node ${process.version}; ${haproxy.version}, TCP mode, nbthread 1; ${availableParallelism()} CPUs`,
  );
  console.log(`load average (1, 5, 15 min) at start: ${startLoad}`);
  let failed = false;
  for (const [i, placement] of where.entries()) {
    const f = Object.fromEntries(MODES.map((m) => [m, summarize(samples[i]?.[m] as Samples)])) as Record<
      Mode,
      ModeFigures
    >;
    console.log(`\n${placement.name}: ${placement.describe}`);
    console.log(table(f));
    console.log(ratios(f));
    const ts = targets(f);
    if (placement.judged) {
      failed ||= ts.some((t) => !t.pass);
      console.log(`targets (${placement.name}):\n${targetLines(ts)}`);
    } else {
      console.log(`the same targets, for the record (not judged):\n${targetLines(ts)}`);
    }
  }
  console.log(`\nload average (1, 5, 15 min) at end: ${load()}`);
  console.log(`took ${((performance.now() - began) / 1000).toFixed(1)} s`);
  if (failed) process.exitCode = 1;
}

// At the end: main() uses the constants and functions above, which must be initialised first.
if (process.argv[2] === '--proxy-child') {
  const fp = await startFaultProxy();
  const quit = () => void fp.close().then(() => process.exit(0));
  process.once('message', quit);
  process.once('disconnect', quit);
  process.send?.({ apiUrl: fp.apiUrl });
} else {
  await main();
}
