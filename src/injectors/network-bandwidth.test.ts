import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectError,
  connectTo,
  type RoutedEcho,
  roundTrip,
  startRoutedEcho,
} from '../proxy/test-support.js';
import { networkBandwidth } from './network-bandwidth.js';

describe('network-bandwidth injector', () => {
  let stack: RoutedEcho | undefined;
  afterEach(async () => {
    // Every proxy port, the API port and the echo server's port must be free again.
    const ports = [
      ...Object.values(stack?.ports ?? {}),
      ...(stack ? [stack.fp.apiPort, stack.echoPort] : []),
    ];
    await stack?.[Symbol.asyncDispose]();
    stack = undefined;
    for (const port of ports) expect(await connectError(port)).toBe('ECONNREFUSED');
  });

  it('validates params', () => {
    expect(networkBandwidth.params.parse({ rateKBps: 50 })).toEqual({
      rateKBps: 50,
      direction: 'both',
      toxicity: 1,
    });
    expect(() => networkBandwidth.params.parse({ rateKBps: 0 })).toThrow();
  });

  it('limits the throughput of the target service until disposed', async () => {
    stack = await startRoutedEcho();
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
