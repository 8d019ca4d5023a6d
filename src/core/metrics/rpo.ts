import type { RpoResult } from '../report-model.js';
import type { OpRecord } from '../types.js';

const LOST_SAMPLE_SIZE = 50;

/**
 * RPO from the write history and the keys read back after recovery. Only ops with a key are writes.
 * A failed write was never acknowledged, so its key being present or absent says nothing about loss;
 * a timed-out write is indeterminate and only reported, never counted as lost.
 */
export function computeRpo(
  ops: readonly OpRecord[],
  present: ReadonlySet<string>,
  tInjectMs: number,
): RpoResult {
  let acknowledged = 0;
  let unknownPresent = 0;
  let unknownAbsent = 0;
  const lost: { key: string; ackMs: number }[] = [];
  for (const op of ops) {
    if (op.key === undefined) continue;
    if (op.outcome === 'ok') {
      acknowledged++;
      if (!present.has(op.key)) lost.push({ key: op.key, ackMs: op.endMs });
    } else if (op.outcome === 'unknown') {
      if (present.has(op.key)) unknownPresent++;
      else unknownAbsent++;
    }
  }
  lost.sort((a, b) => a.ackMs - b.ackMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const oldest = lost[0];
  const newest = lost[lost.length - 1];
  return {
    acknowledged,
    lost: lost.length,
    lostSample: lost.slice(0, LOST_SAMPLE_SIZE),
    lostAfterInject: lost.filter((l) => l.ackMs >= tInjectMs).length,
    unknownPresent,
    unknownAbsent,
    // Losses acknowledged after t_inject (split brain) widen the window past t_inject.
    rpoMs: oldest && newest ? Math.max(tInjectMs, newest.ackMs) - oldest.ackMs : 0,
  };
}
