import { describe, expect, it } from 'vitest';
import { HarnessError } from './errors.js';
import { Extensions, extensionKey, provide } from './extensions.js';

interface Clock {
  now(): number;
}
const CLOCK = extensionKey<Clock>('clock', 'clock to read');
const OTHER = extensionKey<Clock>('clock', 'second clock');

describe('Extensions', () => {
  it('gives back what was provided under the same key, and nothing under another key of the same name', () => {
    const clock = { now: () => 42 };
    const ext = new Extensions(provide(CLOCK, clock));
    expect(ext.get(CLOCK)).toBe(clock);
    expect(ext.get(CLOCK)?.now()).toBe(42);
    expect(ext.get(OTHER)).toBeUndefined();
    expect(ext.names()).toEqual(['clock']);
  });

  it('names the consumer, the environment and what is missing when a required contract is absent', () => {
    const ext = new Extensions();
    let err: unknown;
    try {
      ext.require(CLOCK, { env: 'http-service', who: 'clock-probe', code: 'INVALID_INPUT', hint: 'use x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('INVALID_INPUT');
    expect((err as Error).message).toBe(
      'clock-probe: environment "http-service" offers no clock to read; use x',
    );
  });

  it('lets a later set replace an earlier value', () => {
    const ext = new Extensions(provide(CLOCK, { now: () => 1 }));
    ext.set(CLOCK, { now: () => 2 });
    expect(ext.require(CLOCK, { env: 'e', who: 'w', code: 'INTERNAL' }).now()).toBe(2);
  });
});
