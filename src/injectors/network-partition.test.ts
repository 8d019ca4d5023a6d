import { describe, expect, it } from 'vitest';
import { collect, connectError, connectTo, roundTrip, routedEchoPerTest } from '../proxy/test-support.js';
import { networkPartition } from './network-partition.js';

describe('network-partition injector', () => {
  const startStack = routedEchoPerTest();

  it('validates params', () => {
    expect(networkPartition.params.parse({})).toEqual({});
    expect(() => networkPartition.params.parse({ duration: 0 })).toThrow();
  });

  it('cuts the target service off (open connections dropped, new ones refused) until disposed', async () => {
    const stack = await startStack();
    const { ports, ctx } = stack;
    const open = await connectTo(ports['db-a']!);
    const web = await connectTo(ports['web-a']!);
    const dropped = collect(open, 2000);
    const fault = await networkPartition.inject(ctx, networkPartition.params.parse({}), { service: 'db' });
    expect(fault.details.proxies).toEqual(['db-a', 'db-b']);
    expect((await dropped).how).not.toBe('timeout');
    expect(await connectError(ports['db-a']!)).toBe('ECONNREFUSED');
    expect(await connectError(ports['db-b']!)).toBe('ECONNREFUSED');
    expect(await roundTrip(web, Buffer.from('web still up'))).toBeLessThan(100);
    await fault[Symbol.asyncDispose]();
    const healed = await connectTo(ports['db-b']!);
    expect(await roundTrip(healed, Buffer.from('back'))).toBeLessThan(100);
    for (const s of [healed, web]) s.destroy();
  });

  it('heals by itself after its duration and leaves proxies disabled by others alone', async () => {
    const stack = await startStack();
    const { ports, ctx, client } = stack;
    const b = await client.get('db-b');
    await b.update({ enabled: false, listen: b.listen, upstream: b.upstream });
    const fault = await networkPartition.inject(ctx, networkPartition.params.parse({ duration: 300 }), {
      service: 'db',
    });
    expect(fault.details.proxies).toEqual(['db-a']);
    expect(await connectError(ports['db-a']!)).toBe('ECONNREFUSED');
    await fault.ended;
    const healed = await connectTo(ports['db-a']!);
    expect(await roundTrip(healed, Buffer.from('back'))).toBeLessThan(100);
    expect(await connectError(ports['db-b']!)).toBe('ECONNREFUSED');
    await fault[Symbol.asyncDispose]();
    healed.destroy();
  });
});
