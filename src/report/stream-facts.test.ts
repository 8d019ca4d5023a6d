import { describe, expect, it } from 'vitest';
import { streamFacts } from './stream-facts.js';

describe('streamFacts', () => {
  it('lists duplicates, out-of-order events and each buffer episode with its anchor', () => {
    const lines = streamFacts({
      inStream: 700,
      duplicated: 1,
      duplicatedSample: ['e-5'],
      outOfOrder: 0,
      outOfOrderSample: [],
      episodes: [
        { startMs: 4600, reachableMs: 15_800, healedMs: 14_700, emptyMs: 15_900, maxBuffered: 560 },
        { startMs: 20_000, reachableMs: 20_000, emptyMs: null, maxBuffered: 3 },
      ],
      drainMs: 1200,
    });
    expect(lines[1]).toBe('Duplicated (extra copies): 1: e-5');
    expect(lines[3]).toMatch(
      /up to 560 events buffered; Redis reachable again at .* \(the fault ended\); empty at .*: drained in 1\.2/,
    );
    expect(lines[4]).toMatch(/\(the bus reached it\); the buffer never emptied$/);
  });
});
