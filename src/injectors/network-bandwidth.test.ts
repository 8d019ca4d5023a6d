import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connectTo, roundTrip, routedEchoPerTest } from '../proxy/test-support.js';
import { networkBandwidth } from './network-bandwidth.js';

describe('network-bandwidth injector', () => {
  const startStack = routedEchoPerTest();

  it('validates params', () => {
    expect(networkBandwidth.params.parse({ rateKBps: 50 })).toEqual({
      rateKBps: 50,
      direction: 'both',
      toxicity: 1,
    });
    expect(() => networkBandwidth.params.parse({ rateKBps: 0 })).toThrow();
  });

  it('limits the throughput of the target service until disposed', async () => {
    const stack = await startStack();
    const s = await connectTo(stack.ports['db-b']!);
    const params = networkBandwidth.params.parse({ rateKBps: 100 });
    const fault = await networkBandwidth.inject(stack.ctx, params, { service: 'db' });
    expect(fault.details.toxics).toHaveLength(4);
    // 80 KB each way at 100 KB/s, the two directions overlapping: about 0.8-0.9 s.
    const ms = await roundTrip(s, randomBytes(80_000));
    expect(ms).toBeGreaterThan(700);
    expect(ms).toBeLessThan(1600);
    await fault[Symbol.asyncDispose]();
    expect(await roundTrip(s, randomBytes(80_000))).toBeLessThan(300);
    s.destroy();
  });
});
