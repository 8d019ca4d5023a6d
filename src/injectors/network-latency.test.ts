import { describe, expect, it } from 'vitest';
import { HarnessError } from '../core/errors.js';
import { connectTo, fakeRunContext, roundTrip, routedEchoPerTest } from '../proxy/test-support.js';
import { networkLatency } from './network-latency.js';

describe('network-latency injector', () => {
  const startStack = routedEchoPerTest();

  it('validates params with defaults', () => {
    expect(networkLatency.params.parse({ latency: 100 })).toEqual({
      latencyMs: 100,
      jitterMs: 0,
      direction: 'downstream',
      toxicity: 1,
    });
    expect(networkLatency.params.parse({ latency: '250ms', jitter: '20ms', duration: '10s' })).toMatchObject({
      latencyMs: 250,
      jitterMs: 20,
      durationMs: 10_000,
    });
    expect(() => networkLatency.params.parse({ latency: -1 })).toThrow();
    // One spelling: the field is `latency`, whatever the code calls the milliseconds.
    expect(() => networkLatency.params.parse({ latencyMs: 100 })).toThrow();
  });

  it('slows every proxy of the target service, not others, until disposed', async () => {
    const stack = await startStack();
    const { ctx, ports, client } = stack;
    const a = await connectTo(ports['db-a']!);
    const b = await connectTo(ports['db-b']!);
    const web = await connectTo(ports['web-a']!);
    const ping = Buffer.from('ping');
    const params = networkLatency.params.parse({ latency: 150 });
    const fault = await networkLatency.inject(ctx, params, { service: 'db' });
    expect(fault.details.proxies).toEqual(['db-a', 'db-b']);
    expect(fault.reversible).toBe(true);
    expect(await roundTrip(a, ping)).toBeGreaterThanOrEqual(149);
    expect(await roundTrip(b, ping)).toBeGreaterThanOrEqual(149);
    expect(await roundTrip(web, ping)).toBeLessThan(100);
    await fault[Symbol.asyncDispose]();
    await fault[Symbol.asyncDispose]();
    expect(await roundTrip(a, ping)).toBeLessThan(100);
    expect((await client.getAll())['db-a']).toBeDefined();
    const toxics = await fetch(`${stack.fp.apiUrl}/proxies/db-a/toxics`).then((r) => r.json());
    expect(toxics).toEqual([]);
    for (const s of [a, b, web]) s.destroy();
  });

  it('adds the latency in both directions and reverts by itself after its duration', async () => {
    const stack = await startStack();
    const a = await connectTo(stack.ports['db-a']!);
    const params = networkLatency.params.parse({ latency: 100, direction: 'both', duration: 400 });
    const fault = await networkLatency.inject(stack.ctx, params, { service: 'db' });
    expect(await roundTrip(a, Buffer.from('x'))).toBeGreaterThanOrEqual(199);
    await fault.ended;
    expect(await roundTrip(a, Buffer.from('x'))).toBeLessThan(100);
    await fault[Symbol.asyncDispose]();
    a.destroy();
  });

  it('fails with INJECTION_FAILED when no fault proxy routes the service', async () => {
    const stack = await startStack();
    const params = networkLatency.params.parse({ latency: 10 });
    await expect(networkLatency.inject(stack.ctx, params, { service: 'lonely' })).rejects.toMatchObject({
      code: 'INJECTION_FAILED',
      message: expect.stringContaining('lonely'),
    });
    const bare = fakeRunContext(undefined, ['db']);
    await expect(networkLatency.inject(bare, params, { service: 'db' })).rejects.toBeInstanceOf(HarnessError);
  });
});
