import { describe, expect, it } from 'vitest';
import { percentile } from './percentile.js';

const ONE_TO_TEN = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('percentile', () => {
  it.each([
    { values: ONE_TO_TEN, p: 50, expected: 5 },
    { values: ONE_TO_TEN, p: 90, expected: 9 },
    { values: ONE_TO_TEN, p: 91, expected: 10 },
    { values: ONE_TO_TEN, p: 100, expected: 10 },
    { values: ONE_TO_TEN, p: 0, expected: 1 },
    { values: [10, 3, 7, 1], p: 50, expected: 3 },
    { values: [42], p: 99, expected: 42 },
    { values: [], p: 50, expected: null },
  ])('gives $expected as p$p of $values (nearest rank)', ({ values, p, expected }) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('leaves its input in the order it was given', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it.each([-1, 101, Number.NaN])('rejects p = %s', (p) => {
    expect(() => percentile(ONE_TO_TEN, p)).toThrow(RangeError);
  });
});
