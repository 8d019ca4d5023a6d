import { describe, expect, it } from 'vitest';
import type { StreamCheck } from '../report-model.js';
import { anchorDrains } from './drain.js';

const check = (episodes: StreamCheck['episodes']): StreamCheck => ({
  inStream: 10,
  duplicated: 0,
  duplicatedSample: [],
  outOfOrder: 0,
  outOfOrderSample: [],
  episodes,
  drainMs: null,
});

describe('anchorDrains', () => {
  it('measures from the end of a timed fault inside the episode, else from the bus reaching Redis', () => {
    const r = anchorDrains(
      check([
        { startMs: 1000, reachableMs: 12_500, emptyMs: 12_600, maxBuffered: 500 },
        { startMs: 20_000, reachableMs: 21_000, emptyMs: 21_040, maxBuffered: 5 },
      ]),
      11_000,
    );
    expect(r.episodes[0]?.healedMs).toBe(11_000);
    expect(r.episodes[1]?.healedMs).toBeUndefined();
    expect(r.drainMs).toBe(1600);
  });

  it('has no drain time without a drained episode, and ignores a fault that ended outside every episode', () => {
    expect(anchorDrains(check([]), 5000).drainMs).toBeNull();
    const r = anchorDrains(
      check([{ startMs: 1000, reachableMs: 1200, emptyMs: 1300, maxBuffered: 3 }]),
      5000,
    );
    expect(r.episodes[0]?.healedMs).toBeUndefined();
    expect(r.drainMs).toBe(100);
    expect(
      anchorDrains(check([{ startMs: 1000, reachableMs: 1000, emptyMs: null, maxBuffered: 3 }]), 2000)
        .drainMs,
    ).toBeNull();
  });
});
