// Loopback load for the proxy bench: an echo server and a counting sink, a sequential ping-pong
// over one connection and a one-connection stream. Measures only; printing is the bench's job.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LoopbackServers extends AsyncDisposable {
  /** Sends back every byte it receives. */
  readonly echoPort: number;
  /** Reads and discards; answers one byte when the client ends, so the sender knows all arrived. */
  readonly sinkPort: number;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const a = server.address();
  return a && typeof a === 'object' ? a.port : 0;
}

export async function startLoopbackServers(): Promise<LoopbackServers> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
  };
  const echo = createServer((s) => {
    track(s);
    s.pipe(s);
  });
  const sink = createServer((s) => {
    track(s);
    s.on('data', () => {});
    s.once('end', () => s.end(Buffer.from([1])));
  });
  const echoPort = await listen(echo);
  const sinkPort = await listen(sink);
  return {
    echoPort,
    sinkPort,
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await Promise.all([echo, sink].map((srv) => new Promise((resolve) => srv.close(resolve))));
    },
  };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** `count` sequential exchanges of `bytes` bytes over one connection; round-trip times in µs. */
export async function pingPong(port: number, count: number, bytes: number): Promise<number[]> {
  const s = await open(port);
  const payload = Buffer.alloc(bytes, 7);
  const out: number[] = [];
  try {
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
        if (got < bytes) return;
        out.push((performance.now() - start) * 1000);
        if (out.length === count) resolve();
        else send();
      });
      s.once('error', reject);
      s.once('close', () =>
        reject(new Error(`ping-pong on port ${port} closed after ${out.length} exchanges`)),
      );
      send();
    });
  } finally {
    s.destroy();
  }
  return out;
}

export interface StreamResult {
  /** 10^6 bytes per second, until the sink acknowledged the last byte. */
  mbps: number;
  mb: number;
}

/** Streams 64 KiB writes to a sink until `maxBytes` or `maxMs`, whichever comes first. */
export async function stream(port: number, maxBytes: number, maxMs: number): Promise<StreamResult> {
  const s = await open(port);
  const chunk = Buffer.alloc(64 * 1024, 1);
  const start = performance.now();
  let sent = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.once('data', () => resolve());
      s.once('close', () => reject(new Error(`stream on port ${port} closed before the sink answered`)));
      const pump = () => {
        while (sent < maxBytes && performance.now() - start < maxMs) {
          sent += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
  } finally {
    s.destroy();
  }
  const secs = (performance.now() - start) / 1000;
  return { mbps: sent / 1e6 / secs, mb: sent / 1e6 };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}
