import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type StartedFaultProxy, startFaultProxy } from './fault-proxy.js';
import {
  collect,
  connectError,
  connectTo,
  type EchoServer,
  portOf,
  roundTrip,
  startEchoServer,
} from './test-support.js';

// Every test drives the proxy only through toxiproxy-node-client, as it would a real Toxiproxy.
describe('fault proxy', () => {
  let fp: StartedFaultProxy;
  let echo: EchoServer;
  let client: Toxiproxy;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    fp = await startFaultProxy();
    echo = await startEchoServer();
    client = new Toxiproxy(fp.apiUrl);
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    const proxies = await client.getAll();
    const ports = Object.values(proxies).map((p) => portOf(p.listen));
    await fp.close();
    await echo[Symbol.asyncDispose]();
    // Nothing may stay listening: the API port and every proxy port are free again.
    expect(await connectError(fp.apiPort)).toBe('ECONNREFUSED');
    for (const port of [...ports, echo.port]) expect(await connectError(port)).toBe('ECONNREFUSED');
    expect(fp.connectionCount()).toBe(0);
  });

  async function echoProxy(name = 'echo') {
    const proxy = await client.createProxy({
      name,
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${echo.port}`,
    });
    return { proxy, port: portOf(proxy.listen) };
  }

  async function open(port: number): Promise<Socket> {
    const s = await connectTo(port);
    sockets.push(s);
    return s;
  }

  it('creates a proxy that passes bytes through unchanged and reports it', async () => {
    const { proxy, port } = await echoProxy();
    expect(port).toBeGreaterThan(0);
    expect(proxy.enabled).toBe(true);
    const s = await open(port);
    const payload = randomBytes(1_000_000);
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    await roundTrip(s, payload);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    const all = await client.getAll();
    expect(Object.keys(all)).toEqual(['echo']);
    expect((await client.get('echo')).upstream).toBe(`127.0.0.1:${echo.port}`);
    const version = (await client.getVersion()) as unknown as { data: { version: string } };
    expect(version.data.version).toMatch(/^2\./);
  });

  it('adds latency to an open connection and removes it again', async () => {
    const { proxy, port } = await echoProxy();
    const s = await open(port);
    const ping = Buffer.from('ping');
    expect(await roundTrip(s, ping)).toBeLessThan(100);
    const toxic = await proxy.addToxic({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 200, jitter: 0 },
    });
    expect(toxic.attributes).toEqual({ latency: 200, jitter: 0 });
    const slow = await roundTrip(s, ping);
    expect(slow).toBeGreaterThanOrEqual(199);
    expect(slow).toBeLessThan(600);
    await toxic.remove();
    expect(await roundTrip(s, ping)).toBeLessThan(100);
  });

  it('applies existing toxics to new connections', async () => {
    const { proxy, port } = await echoProxy();
    await proxy.addToxic({
      name: 'up',
      type: 'latency',
      stream: 'upstream',
      toxicity: 1,
      attributes: { latency: 100, jitter: 0 },
    });
    const s = await open(port);
    expect(await roundTrip(s, Buffer.from('x'))).toBeGreaterThanOrEqual(99);
  });

  it('applies a toxic with toxicity 0 to no connection', async () => {
    const { proxy, port } = await echoProxy();
    await proxy.addToxic({
      name: 'never',
      type: 'latency',
      stream: 'downstream',
      toxicity: 0,
      attributes: { latency: 300, jitter: 0 },
    });
    const s = await open(port);
    expect(await roundTrip(s, Buffer.from('x'))).toBeLessThan(100);
  });

  it('limits bandwidth to the given KB/s', async () => {
    const { proxy, port } = await echoProxy();
    const s = await open(port);
    const toxic = await proxy.addToxic({
      name: 'bw',
      type: 'bandwidth',
      stream: 'downstream',
      toxicity: 1,
      attributes: { rate: 100 },
    });
    // 150 KB at 100 KB/s (1 KB = 1000 bytes, as Toxiproxy counts): about 1.5 s.
    const ms = await roundTrip(s, randomBytes(150_000));
    expect(ms).toBeGreaterThan(1300);
    expect(ms).toBeLessThan(2200);
    await toxic.remove();
    expect(await roundTrip(s, randomBytes(150_000))).toBeLessThan(300);
  });

  it('resets the connection (ECONNRESET) after reset_peer timeout', async () => {
    const { proxy, port } = await echoProxy();
    const s = await open(port);
    await proxy.addToxic({
      name: 'rst',
      type: 'reset_peer',
      stream: 'upstream',
      toxicity: 1,
      attributes: { timeout: 100 },
    });
    const got = collect(s, 2000);
    s.write('hello');
    const r = await got;
    expect(r.how).toBe('ECONNRESET');
    expect(r.bytes).toBe(0);
    expect(r.afterMs).toBeGreaterThanOrEqual(95);
  });

  it('drops data and closes after the timeout toxic expires', async () => {
    const { proxy, port } = await echoProxy();
    const s = await open(port);
    await proxy.addToxic({
      name: 'to',
      type: 'timeout',
      stream: 'upstream',
      toxicity: 1,
      attributes: { timeout: 200 },
    });
    const got = collect(s, 2000);
    s.write('hello');
    const r = await got;
    expect(r.bytes).toBe(0);
    expect(r.how).toBe('end');
    expect(r.afterMs).toBeGreaterThanOrEqual(150);
  });

  it('holds a connection silent with timeout 0 until the toxic is removed, then closes it', async () => {
    const { proxy, port } = await echoProxy();
    const s = await open(port);
    const toxic = await proxy.addToxic({
      name: 'hold',
      type: 'timeout',
      stream: 'downstream',
      toxicity: 1,
      attributes: { timeout: 0 },
    });
    const got = collect(s, 2000);
    s.write('hello');
    await new Promise((r) => setTimeout(r, 300));
    await toxic.remove();
    const r = await got;
    expect(r.bytes).toBe(0);
    expect(r.how).toBe('end');
    expect(r.afterMs).toBeGreaterThanOrEqual(290);
  });

  it('closes the connection after limit_data bytes', async () => {
    const { proxy, port } = await echoProxy();
    const s = await open(port);
    await proxy.addToxic({
      name: 'lim',
      type: 'limit_data',
      stream: 'downstream',
      toxicity: 1,
      attributes: { bytes: 100 },
    });
    const got = collect(s, 2000);
    s.write(randomBytes(300));
    const r = await got;
    expect(r.bytes).toBe(100);
    expect(r.how).toBe('end');
  });

  it('delays the close with slow_close', async () => {
    const { proxy, port } = await echoProxy();
    const s = await open(port);
    await proxy.addToxic({
      name: 'sc',
      type: 'slow_close',
      stream: 'downstream',
      toxicity: 1,
      attributes: { delay: 300 },
    });
    expect(await roundTrip(s, Buffer.from('still fast'))).toBeLessThan(100);
    const got = collect(s, 2000);
    s.end();
    const r = await got;
    expect(r.how).toBe('end');
    expect(r.afterMs).toBeGreaterThanOrEqual(290);
  });

  it('slices data into small delayed pieces', async () => {
    const { proxy, port } = await echoProxy();
    const s = await open(port);
    const payload = randomBytes(100);
    expect(await roundTrip(s, payload)).toBeLessThan(100);
    await proxy.addToxic({
      name: 'sl',
      type: 'slicer',
      stream: 'downstream',
      toxicity: 1,
      attributes: { average_size: 10, size_variation: 0, delay: 5000 },
    });
    let chunks = 0;
    s.on('data', () => {
      chunks += 1;
    });
    const ms = await roundTrip(s, payload);
    expect(chunks).toBeGreaterThanOrEqual(5);
    expect(ms).toBeGreaterThanOrEqual(40);
  });

  it('drops open connections and refuses new ones while disabled', async () => {
    const { proxy, port } = await echoProxy();
    const s = await open(port);
    expect(await roundTrip(s, Buffer.from('a'))).toBeLessThan(100);
    const got = collect(s, 2000);
    const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(disabled.enabled).toBe(false);
    expect((await got).how).not.toBe('timeout');
    expect(await connectError(port)).toBe('ECONNREFUSED');
    await disabled.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    const again = await open(port);
    expect(await roundTrip(again, Buffer.from('b'))).toBeLessThan(100);
  });

  it('answers unknown names and duplicates with Toxiproxy status codes and JSON errors', async () => {
    const { proxy } = await echoProxy();
    await expect(client.get('nope')).rejects.toMatchObject({ message: expect.stringContaining('404') });
    await expect(echoProxy()).rejects.toMatchObject({ message: expect.stringContaining('409') });
    const lat = {
      name: 'l',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 1, jitter: 0 },
    } as const;
    await proxy.addToxic(lat);
    await expect(proxy.addToxic(lat)).rejects.toMatchObject({ message: expect.stringContaining('409') });
    await expect(proxy.getToxic('missing')).rejects.toMatchObject({
      message: expect.stringContaining('404'),
    });
    const res = await fetch(`${fp.apiUrl}/proxies/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'proxy not found', status: 404 });
    const bad = await fetch(`${fp.apiUrl}/proxies/echo/toxics`, { method: 'POST', body: '{"type":"nope"}' });
    expect(await bad.json()).toEqual({ error: 'invalid toxic type', status: 400 });
    const outside = await fetch(`${fp.apiUrl}/proxies`, {
      method: 'POST',
      body: JSON.stringify({ name: 'x', listen: '0.0.0.0:0', upstream: '127.0.0.1:1' }),
    });
    expect(outside.status).toBe(400);
    const remote = await fetch(`${fp.apiUrl}/proxies`, {
      method: 'POST',
      body: JSON.stringify({ name: 'y', listen: '127.0.0.1:0', upstream: '10.0.0.1:5432' }),
    });
    expect(await remote.json()).toMatchObject({ status: 400, error: expect.stringContaining('loopback') });
  });

  it('populates proxies and reset re-enables them and removes every toxic', async () => {
    const created = await client.populate([
      { name: 'a', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` },
      { name: 'b', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` },
    ]);
    const a = created.a!;
    const b = created.b!;
    await a.addToxic({
      name: 't',
      type: 'latency',
      stream: 'upstream',
      toxicity: 1,
      attributes: { latency: 500, jitter: 0 },
    });
    await b.update({ enabled: false, listen: b.listen, upstream: b.upstream });
    await client.reset();
    const all = await client.getAll();
    expect(all.a?.enabled).toBe(true);
    expect(all.b?.enabled).toBe(true);
    const toxics = (await fetch(`${fp.apiUrl}/proxies/a/toxics`).then((r) => r.json())) as unknown[];
    expect(toxics).toEqual([]);
    const s = await open(portOf(a.listen));
    expect(await roundTrip(s, Buffer.from('fast'))).toBeLessThan(100);
  });

  it('closes proxied connections when a proxy is deleted', async () => {
    const { proxy, port } = await echoProxy();
    const s = await open(port);
    await roundTrip(s, Buffer.from('x'));
    const got = collect(s, 2000);
    await proxy.remove();
    expect((await got).how).not.toBe('timeout');
    expect(await connectError(port)).toBe('ECONNREFUSED');
  });
});

describe('startFaultProxy', () => {
  it('refuses to listen anywhere but loopback', async () => {
    await expect(startFaultProxy({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
    await expect(startFaultProxy({ host: '::' })).rejects.toThrow(/loopback/);
  });

  it('listens on ::1 when asked and closes on dispose', async () => {
    let port = 0;
    {
      await using fp = await startFaultProxy({ host: '::1' });
      port = fp.apiPort;
      expect(fp.apiUrl).toBe(`http://[::1]:${port}`);
      const res = await fetch(`${fp.apiUrl}/version`);
      expect(res.status).toBe(200);
    }
    await expect(fetch(`http://[::1]:${port}/version`)).rejects.toThrow();
  });
});
