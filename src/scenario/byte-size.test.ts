import { describe, expect, it } from 'vitest';
import { byteSize, parseByteSize } from './byte-size.js';

describe('parseByteSize', () => {
  it.each([
    ['50MB', 50_000_000],
    ['200GB', 200_000_000_000],
    ['1.5 GB', 1_500_000_000],
    ['512MiB', 512 * 1024 * 1024],
    ['10kb', 10_000],
    ['7B', 7],
    [4096, 4096],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['50', '50 megabytes', 'MB', '-1MB', ''])('rejects %j', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });

  it('names the expected form and the bounds in the schema error', () => {
    const s = byteSize(1_000_000, 1e9);
    expect(s.parse('2MB')).toBe(2_000_000);
    expect(s.safeParse('lots').error?.issues[0]?.message).toMatch(/"50MB", "200GB"/);
    expect(s.safeParse('10kB').error?.issues[0]?.message).toBe(
      'expected between 1000000 and 1000000000 bytes, got 10000',
    );
  });
});
