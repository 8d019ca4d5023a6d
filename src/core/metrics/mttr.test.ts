import { describe, expect, it } from 'vitest';
import { computeMttr } from './mttr.js';

describe('computeMttr', () => {
  it.each([
    {
      name: 'skips iterations that never recovered (even count: median of the two middle values)',
      rtos: [4000, null, 1000, 3000, 2000],
      expected: { n: 4, meanMs: 2500, medianMs: 2500, minMs: 1000, maxMs: 4000 },
    },
    {
      name: 'takes the middle value as the median of an odd count',
      rtos: [900, 100, 200],
      expected: { n: 3, meanMs: 400, medianMs: 200, minMs: 100, maxMs: 900 },
    },
    {
      name: 'summarizes a single recovery as itself',
      rtos: [null, 1234],
      expected: { n: 1, meanMs: 1234, medianMs: 1234, minMs: 1234, maxMs: 1234 },
    },
    { name: 'gives null when no iteration recovered', rtos: [null, null], expected: null },
    { name: 'gives null for no iterations', rtos: [], expected: null },
  ])('$name', ({ rtos, expected }) => {
    expect(computeMttr(rtos)).toEqual(expected);
  });
});
