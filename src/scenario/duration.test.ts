import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['2min', 120_000],
    ['1h', 3_600_000],
    [' 10 s ', 10_000],
    [42, 42],
    [0, 0],
  ])('reads %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([['5'], ['-1s'], ['1d'], ['s'], [''], [-5], [Number.NaN], [null], [{}]])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
