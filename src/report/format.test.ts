import { describe, expect, it } from 'vitest';
import { formatDuration, formatNumber, formatOffset, formatPercent, formatValue } from './format.js';

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [0.812, '0.812 ms'],
    [12.5, '12.5 ms'],
    [250, '250 ms'],
    [999.4, '999 ms'],
    [999.6, '1 s'],
    [1000, '1 s'],
    [1843, '1.84 s'],
    [12_345, '12.3 s'],
    [59_999, '1 min'],
    [60_000, '1 min'],
    [312_000, '5 min 12 s'],
    [3_600_000, '1 h'],
    [14_400_000, '4 h'],
    [3_900_000, '1 h 5 min'],
    [-1500, '-1.50 s'],
  ])('renders %s ms as "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatOffset', () => {
  it('renders run-clock times as signed seconds with millisecond precision', () => {
    expect(formatOffset(12_345)).toBe('+12.345s');
    expect(formatOffset(0)).toBe('+0.000s');
    expect(formatOffset(3214.4)).toBe('+3.214s');
    expect(formatOffset(-20)).toBe('-0.020s');
  });
});

describe('formatValue', () => {
  it('formats by unit: durations, integer counts, percentages', () => {
    expect(formatValue(300_000, 'ms')).toBe('5 min');
    expect(formatValue(3, 'count')).toBe('3');
    expect(formatValue(2.6, 'count')).toBe('3');
    expect(formatValue(0.0123, 'ratio')).toBe('1.23%');
    expect(formatValue(1, 'ratio')).toBe('100%');
  });

  it('keeps three significant digits without exponent notation', () => {
    expect(formatNumber(1234.5)).toBe('1235');
    expect(formatNumber(0.000123456)).toBe('0.000123');
    expect(formatPercent(0)).toBe('0%');
  });
});
