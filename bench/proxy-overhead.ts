// What the fault proxy costs when no toxic is active: added round-trip latency for small
// request/response exchanges and streaming throughput, measured side by side with a direct
// loopback connection in one run. The proxy runs in its own process, as Toxiproxy would, so it
// does not share an event loop with the client and server it is measured against.
//   node --import tsx bench/proxy-overhead.ts
import { fork } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Toxiproxy } from 'toxiproxy-node-client';
import { startFaultProxy } from '../src/proxy/fault-proxy.js';

const PINGS = 5_000;
const WARMUP_PINGS = 500;
const PING_BYTES = 64;
const STREAM_BYTES = 500_000_000;
const STREAM_CAP_MS = 5_000;
/** Modes are measured in interleaved rounds so load from other processes hits each alike. */
const ROUNDS = 3;
const TOTAL_CAP_MS = 58_000;

// Toxiproxy README, "Frequently Asked Questions" (github.com/Shopify/toxiproxy): "< 100µs" latency
// with no toxics, "~1000MB/s" with GOMAXPROCS=4 on a Macbook Pro, "as high as 2400MB/s" on a desktop.
const TOXIPROXY_CLAIM = { addedLatencyUs: 100, throughputMBps: [1000, 2400] as const };

if (process.argv[2] === '--proxy-child') {
  const fp = await startFaultProxy();
  process.send?.({ apiUrl: fp.apiUrl });
  process.once('message', () => void fp.close().then(() => process.exit(0)));
} else {
  await main();
}

interface Side {
  p50Us: number;
  p99Us: number;
  mbps: number;
  streamedMB: number;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const a = server.address();
  return a && typeof a === 'object' ? a.port : 0;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** Sequential fixed-size ping-pongs; returns per-exchange round-trip times in µs. */
async function pingPong(port: number, count: number): Promise<number[]> {
  const s = await open(port);
  const payload = Buffer.alloc(PING_BYTES, 7);
  const out: number[] = [];
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    let start = 0;
    const send = () => {
      got = 0;
      start = performance.now();
      s.write(payload);
    };
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got < PING_BYTES) return;
      out.push((performance.now() - start) * 1000);
      if (out.length === count) resolve();
      else send();
    });
    s.once('error', reject);
    send();
  });
  s.destroy();
  return out;
}

/** Streams up to STREAM_BYTES (or for STREAM_CAP_MS) to a counting sink; returns MB/s (10^6 bytes). */
async function stream(port: number): Promise<{ mbps: number; mb: number }> {
  const s = await open(port);
  const chunk = Buffer.alloc(64 * 1024, 1);
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.once('data', () => resolve()); // the sink's one-byte acknowledgement of everything sent
    const pump = () => {
      while (sent < STREAM_BYTES && performance.now() - start < STREAM_CAP_MS) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  const secs = (performance.now() - start) / 1000;
  s.destroy();
  return { mbps: sent / 1e6 / secs, mb: sent / 1e6 };
}

interface Samples {
  rttsUs: number[];
  mbps: number[];
  mb: number[];
}

async function measureRound(into: Samples, pingPort: number, sinkPort: number): Promise<void> {
  await pingPong(pingPort, WARMUP_PINGS);
  into.rttsUs.push(...(await pingPong(pingPort, PINGS)));
  const { mbps, mb } = await stream(sinkPort);
  into.mbps.push(mbps);
  into.mb.push(mb);
}

function summarize(s: Samples): Side {
  const rtts = [...s.rttsUs].sort((a, b) => a - b);
  const mbps = [...s.mbps].sort((a, b) => a - b);
  return {
    p50Us: percentile(rtts, 0.5),
    p99Us: percentile(rtts, 0.99),
    mbps: percentile(mbps, 0.5),
    streamedMB: s.mb.reduce((a, b) => a + b, 0) / s.mb.length,
  };
}

function table(direct: Side, plain: Side, chained: Side): string {
  const f = (n: number, d = 0) => n.toFixed(d).padStart(12);
  const row = (label: string, a: number, b: number, c: number, extra: string) =>
    `${label.padEnd(22)}${f(a, 1)}${f(b, 1)}${f(c, 1)}   ${extra}`;
  return [
    `${''.padEnd(22)}${'direct'.padStart(12)}${'via proxy'.padStart(12)}${'+0ms toxic'.padStart(12)}`,
    row(
      'RTT p50 (µs)',
      direct.p50Us,
      plain.p50Us,
      chained.p50Us,
      `added ${(plain.p50Us - direct.p50Us).toFixed(1)} µs`,
    ),
    row(
      'RTT p99 (µs)',
      direct.p99Us,
      plain.p99Us,
      chained.p99Us,
      `added ${(plain.p99Us - direct.p99Us).toFixed(1)} µs`,
    ),
    row(
      'throughput (MB/s)',
      direct.mbps,
      plain.mbps,
      chained.mbps,
      `ratio ${(plain.mbps / direct.mbps).toFixed(2)}`,
    ),
    row('streamed (MB)', direct.streamedMB, plain.streamedMB, chained.streamedMB, ''),
  ].join('\n');
}

async function main(): Promise<void> {
  const began = performance.now();
  const hardStop = setTimeout(() => {
    console.error(`proxy-overhead: gave up after ${TOTAL_CAP_MS} ms`);
    process.exit(2);
  }, TOTAL_CAP_MS);
  const echo = createServer((s) => s.pipe(s));
  const sink = createServer((s) => {
    s.on('data', () => {});
    s.once('end', () => s.end(Buffer.from([1])));
    s.on('error', () => {});
  });
  const echoPort = await listen(echo);
  const sinkPort = await listen(sink);
  const child = fork(process.argv[1] as string, ['--proxy-child'], { execArgv: process.execArgv });
  try {
    const { apiUrl } = await new Promise<{ apiUrl: string }>((resolve) =>
      child.once('message', resolve as never),
    );
    const api = new Toxiproxy(apiUrl);
    const proxyPort = async (name: string, upstream: number) => {
      const p = await api.createProxy({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` });
      return { proxy: p, port: Number(p.listen.slice(p.listen.lastIndexOf(':') + 1)) };
    };
    const pe = await proxyPort('echo', echoPort);
    const ps = await proxyPort('sink', sinkPort);

    // A zero-latency toxic forces the per-chunk path without delaying anything: its cost alone.
    const zero = { type: 'latency', toxicity: 1, attributes: { latency: 0, jitter: 0 } } as const;
    const pc = await proxyPort('echo-chained', echoPort);
    const sc = await proxyPort('sink-chained', sinkPort);
    for (const { proxy } of [pc, sc]) {
      await proxy.addToxic({ ...zero, name: 'up', stream: 'upstream' });
      await proxy.addToxic({ ...zero, name: 'down', stream: 'downstream' });
    }
    const empty = (): Samples => ({ rttsUs: [], mbps: [], mb: [] });
    const samples = { direct: empty(), plain: empty(), chained: empty() };
    for (let round = 0; round < ROUNDS; round++) {
      await measureRound(samples.direct, echoPort, sinkPort);
      await measureRound(samples.plain, pe.port, ps.port);
      await measureRound(samples.chained, pc.port, sc.port);
    }
    const direct = summarize(samples.direct);
    const plain = summarize(samples.plain);
    const chained = summarize(samples.chained);

    console.log(
      `fault proxy overhead: ${ROUNDS} interleaved rounds of ${PINGS} × ${PING_BYTES}-byte ping-pongs ` +
        `(percentiles over all) and a stream of up to ${STREAM_BYTES / 1e6} MB or ${STREAM_CAP_MS / 1000} s (median MB/s)`,
    );
    console.log(`node ${process.version}, proxy in a separate process; 1 MB = 10^6 bytes\n`);
    console.log(table(direct, plain, chained));
    console.log(
      `\nToxiproxy's stated figures (README FAQ): < ${TOXIPROXY_CLAIM.addedLatencyUs} µs added latency with no toxics; ` +
        `~${TOXIPROXY_CLAIM.throughputMBps[0]} MB/s (MacBook Pro, GOMAXPROCS=4) up to ${TOXIPROXY_CLAIM.throughputMBps[1]} MB/s (desktop).`,
    );
    console.log(`took ${((performance.now() - began) / 1000).toFixed(1)} s`);
  } finally {
    clearTimeout(hardStop);
    child.send('close');
    await new Promise((resolve) => child.once('exit', resolve));
    echo.close();
    sink.close();
  }
}
