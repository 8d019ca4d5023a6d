import { describe, expect, it } from 'vitest';
import { atFaultText } from './at-fault-text.js';

describe('atFaultText', () => {
  it('says how many operations were in flight at the fault and what became of them', () => {
    const text = atFaultText({
      injectStartMs: 2000,
      tInjectMs: 2000.4,
      inFlight: 5,
      ok: 5,
      failed: 0,
      unknown: 0,
      okLost: 0,
      recentWindowMs: 100,
      recentAcks: 10,
      recentAcksLost: 0,
    });
    expect(text).toBe(
      'In flight at the fault: 5 operation(s) started before injection began and ended after t_inject (injection took 0.400 ms): 5 acknowledged (0 of them lost), 0 failed, 0 timed out or cut off. Acknowledged in the 100 ms before injection began: 10 (0 of them lost).',
    );
  });

  it('gives no lost counts for a probe that reads nothing back', () => {
    const text = atFaultText({
      injectStartMs: 0,
      tInjectMs: 12,
      inFlight: 1,
      ok: 0,
      failed: 1,
      unknown: 0,
      recentWindowMs: 100,
      recentAcks: 4,
    });
    expect(text).not.toContain('lost');
    expect(text).toContain('1 failed');
  });
});
