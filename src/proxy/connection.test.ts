import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import type { ICreateToxicBody, Proxy as ToxiproxyProxy } from 'toxiproxy-node-client';
import { describe, expect, it } from 'vitest';
import { connectTo, portOf, routedEchoPerTest } from './test-support.js';

/** Everything that comes back on `s`, and a wait for a given amount of it. */
function echoed(s: Socket) {
  const parts: Buffer[] = [];
  let received = 0;
  const waiters: { bytes: number; resolve: () => void }[] = [];
  s.on('data', (d: Buffer) => {
    parts.push(d);
    received += d.length;
    for (const w of waiters.filter((x) => received >= x.bytes)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    received: () => received,
    bytes: () => Buffer.concat(parts),
    until: (bytes: number, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (received >= bytes) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`echo: ${received} of ${bytes} bytes after ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          bytes,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
  };
}

type Step = (proxy: ToxiproxyProxy) => Promise<unknown>;
const add =
  (body: Omit<ICreateToxicBody<Record<string, number>>, 'toxicity'>): Step =>
  (proxy) =>
    proxy.addToxic({ toxicity: 1, ...body });
const remove =
  (name: string): Step =>
  async (proxy) =>
    (await proxy.getToxic(name)).remove();

// A connection changes path (straight through, or through toxics' stages) when a toxic is added
// or removed; these tests do it while bytes are on their way and check every byte comes back once,
// in order.
describe('a live connection switching between the fast path and toxics', () => {
  const startStack = routedEchoPerTest();

  /**
   * Sends `segments` of random bytes through the proxy to the echo server, one after the other,
   * and runs step i right after writing segment i, without waiting for its echo. Returns, per
   * step, how many bytes were sent and not yet back when the proxy had applied it.
   */
  async function runSteps(segmentBytes: number, steps: Step[]): Promise<{ inFlight: number[] }> {
    const stack = await startStack();
    const proxy = await stack.client.get('db-a');
    const s = await connectTo(stack.ports['db-a']!);
    const echo = echoed(s);
    const payload = randomBytes(segmentBytes * (steps.length + 1));
    const inFlight: number[] = [];
    let sent = 0;
    const send = () => {
      s.write(payload.subarray(sent, sent + segmentBytes));
      sent += segmentBytes;
    };
    for (const step of steps) {
      send();
      await step(proxy);
      inFlight.push(sent - echo.received());
    }
    send();
    await echo.until(payload.length);
    expect(echo.received()).toBe(payload.length);
    expect(echo.bytes().equals(payload)).toBe(true);
    s.destroy();
    return { inFlight };
  }

  it('keeps every byte in order while toxics of each data-moving kind come and go mid-stream', async () => {
    const { inFlight } = await runSteps(2_000_000, [
      add({ name: 'lat', type: 'latency', stream: 'downstream', attributes: { latency: 20, jitter: 5 } }),
      add({
        name: 'slice',
        type: 'slicer',
        stream: 'upstream',
        attributes: { average_size: 1500, size_variation: 1000, delay: 0 },
      }),
      remove('lat'),
      add({ name: 'bw', type: 'bandwidth', stream: 'downstream', attributes: { rate: 40_000 } }),
      remove('slice'),
      remove('bw'),
    ]);
    // Each change reached the proxy while part of what had been sent was still on its way.
    for (const bytes of inFlight) expect(bytes).toBeGreaterThan(0);
  });

  it('keeps every byte in order when one of two stacked toxics holding data is removed', async () => {
    const { inFlight } = await runSteps(1_000_000, [
      add({ name: 'first', type: 'latency', stream: 'downstream', attributes: { latency: 40, jitter: 0 } }),
      add({ name: 'second', type: 'latency', stream: 'downstream', attributes: { latency: 40, jitter: 0 } }),
      // The first flushes what it held into the second, which still holds older bytes.
      remove('first'),
      remove('second'),
    ]);
    for (const bytes of inFlight) expect(bytes).toBeGreaterThan(0);
  });

  it('applies a toxic added mid-stream to the bytes that follow and lets them through again once removed', async () => {
    const stack = await startStack();
    const proxy = await stack.client.get('db-a');
    const s = await connectTo(stack.ports['db-a']!);
    const echo = echoed(s);
    let sent = 1_000_000;
    // Timed from the write until everything sent so far is back, the ping last.
    const ping = async () => {
      const start = performance.now();
      s.write('ping');
      sent += 4;
      await echo.until(sent);
      return performance.now() - start;
    };
    s.write(randomBytes(sent));
    await add({ name: 'lat', type: 'latency', stream: 'upstream', attributes: { latency: 150, jitter: 0 } })(
      proxy,
    );
    expect(await ping()).toBeGreaterThanOrEqual(149);
    await remove('lat')(proxy);
    expect(await ping()).toBeLessThan(100);
    expect(echo.received()).toBe(1_000_008);
    s.destroy();
  });

  it('does not overwrite bytes still queued for a client that stopped reading', async () => {
    const stack = await startStack();
    // Many small writes, so the proxy reads small chunks and queues them behind a full socket:
    // each queued chunk must keep the bytes it was read with.
    const payload = randomBytes(16_000_000);
    let serverSide: Socket | undefined;
    const trickle = createServer((s) => {
      serverSide = s;
      s.on('error', () => {});
      let off = 0;
      const next = () => {
        if (off >= payload.length) return void s.end();
        s.write(payload.subarray(off, off + 1000));
        off += 1000;
        setImmediate(next);
      };
      next();
    });
    await new Promise<void>((resolve) => trickle.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const addr = trickle.address();
    await using _server = {
      [Symbol.asyncDispose]: () => new Promise<void>((resolve) => trickle.close(() => resolve())),
    };
    const proxy = await stack.client.createProxy({
      name: 'trickle',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`,
    });
    const s = await connectTo(portOf(proxy.listen));
    const got = echoed(s);
    s.pause();
    await new Promise((r) => setTimeout(r, 500));
    // Back-pressure reached the server: the proxy stopped reading because its writes queued up.
    expect(serverSide?.writableLength).toBeGreaterThan(0);
    s.resume();
    await got.until(payload.length);
    expect(got.bytes().equals(payload)).toBe(true);
    s.destroy();
  });
});
