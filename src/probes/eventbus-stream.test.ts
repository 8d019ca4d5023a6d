import { describe, expect, it } from 'vitest';
import type { OpRecord } from '../core/types.js';
import { bufferEpisodes, type StatusPoll, streamFigures } from './eventbus-stream.js';

const poll = (tMs: number, buffered: number, reachable = true, answered = true): StatusPoll => ({
  tMs,
  buffered,
  reachable,
  answered,
});

describe('bufferEpisodes', () => {
  it('opens an episode at the first buffered poll and measures from the bus reaching Redis again', () => {
    const e = bufferEpisodes([
      poll(0, 0),
      poll(100, 3, false),
      poll(200, 8, false),
      poll(300, 12, true),
      poll(400, 4, true),
      poll(500, 0, true),
      poll(600, 0, true),
    ]);
    expect(e).toEqual([{ startMs: 100, reachableMs: 300, emptyMs: 500, maxBuffered: 12 }]);
  });

  it('restarts the reachable mark when the bus stops answering (killed) or loses Redis again', () => {
    const e = bufferEpisodes([
      poll(100, 5, true),
      poll(200, 0, false, false),
      poll(300, 9, true),
      poll(400, 9, false),
      poll(500, 9, true),
      poll(600, 0, true),
    ]);
    expect(e).toEqual([{ startMs: 100, reachableMs: 500, emptyMs: 600, maxBuffered: 9 }]);
  });

  it('keeps an episode that never drained open, and drains within one poll at that resolution', () => {
    expect(bufferEpisodes([poll(0, 2, false), poll(100, 0, true), poll(200, 7, false)])).toEqual([
      { startMs: 0, reachableMs: 100, emptyMs: 100, maxBuffered: 2 },
      { startMs: 200, reachableMs: 200, emptyMs: null, maxBuffered: 7 },
    ]);
    expect(bufferEpisodes([poll(0, 0, false), poll(100, 0, true)])).toEqual([]);
  });
});

const op = (seq: number, startMs: number, endMs: number, outcome: OpRecord['outcome'] = 'ok'): OpRecord => ({
  id: seq,
  startMs,
  endMs,
  outcome,
  key: `p-1-${seq}`,
});

describe('streamFigures', () => {
  const ops = [op(0, 0, 5), op(1, 20, 25), op(2, 40, 45), op(3, 60, 65), op(4, 80, 85)];

  it('finds present, duplicated and out-of-order events, ignoring other probes', () => {
    const f = streamFigures(['p-1-0', 'x-9-1', 'p-1-2', 'p-1-1', 'p-1-2', 'p-1-4'], ops, 'p-1');
    expect([...f.present].sort()).toEqual(['p-1-0', 'p-1-1', 'p-1-2', 'p-1-4']);
    expect(f.inStream).toBe(4);
    expect(f.duplicated).toBe(1);
    expect(f.duplicatedSample).toEqual(['p-1-2']);
    // 1 was acknowledged at 25, 2 sent at 40 stands before it.
    expect(f.outOfOrder).toBe(1);
    expect(f.outOfOrderSample).toEqual(['p-1-1']);
  });

  it('does not call concurrent requests out of order', () => {
    const overlapping = [op(0, 0, 50), op(1, 20, 30)];
    expect(streamFigures(['p-1-1', 'p-1-0'], overlapping, 'p-1').outOfOrder).toBe(0);
    expect(streamFigures(['p-1-0', 'p-1-1', 'p-1-2', 'p-1-3', 'p-1-4'], ops, 'p-1').outOfOrder).toBe(0);
  });
});
