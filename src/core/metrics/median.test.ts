import { describe, expect, it } from 'vitest';
import { median } from './median.js';

describe('median', () => {
  it.each([
    { name: 'the middle value of an odd count, in any order', values: [900, 100, 200], expected: 200 },
    { name: 'the mean of the two middle values of an even count', values: [4, 1, 3, 2], expected: 2.5 },
    { name: 'a single value is its own median', values: [7], expected: 7 },
    { name: 'null for no values', values: [], expected: null },
  ])('$name', ({ values, expected }) => {
    expect(median(values)).toBe(expected);
  });

  it('leaves its input unsorted', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});
