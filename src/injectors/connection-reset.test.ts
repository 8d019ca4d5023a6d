import { describe, expect, it } from 'vitest';
import { collect, connectTo, roundTrip, routedEchoPerTest } from '../proxy/test-support.js';
import { connectionReset } from './connection-reset.js';

describe('connection-reset injector', () => {
  const startStack = routedEchoPerTest();

  it('validates params', () => {
    expect(connectionReset.params.parse({ after: 5 })).toEqual({
      afterMs: 5,
      direction: 'both',
      toxicity: 1,
    });
    expect(() => connectionReset.params.parse({ after: -5 })).toThrow();
  });

  it('resets connections of the target service once they carry data, until disposed', async () => {
    const stack = await startStack();
    const open = await connectTo(stack.ports['db-a']!);
    const fault = await connectionReset.inject(stack.ctx, connectionReset.params.parse({ after: '100ms' }), {
      service: 'db',
    });
    expect(fault.details.proxies).toEqual(['db-a', 'db-b']);
    const got = collect(open, 2000);
    open.write('GET /');
    const r = await got;
    expect(r.how).toBe('ECONNRESET');
    expect(r.afterMs).toBeGreaterThanOrEqual(95);
    // A new connection meets the same fate while the fault is active.
    const fresh = await connectTo(stack.ports['db-b']!);
    const again = collect(fresh, 2000);
    fresh.write('again');
    expect((await again).how).toBe('ECONNRESET');
    await fault[Symbol.asyncDispose]();
    const healed = await connectTo(stack.ports['db-a']!);
    expect(await roundTrip(healed, Buffer.from('ok'))).toBeLessThan(100);
    healed.destroy();
  });
});
