// The figures of an event stream's read-back, from plain data: which events are in the stream,
// which twice, which out of order, and the bus's buffer episodes from its status polls.
import type { BufferEpisode } from '../core/report-model.js';
import type { OpRecord } from '../core/types.js';

/** Up to this many ids are kept for each list in the report. */
export const STREAM_SAMPLE_SIZE = 50;

export interface StatusPoll {
  tMs: number;
  /** The status answered at all (the bus may be down). */
  answered: boolean;
  /** The bus's own view: connected, and its last command to Redis succeeded. */
  reachable: boolean;
  buffered: number;
}

/**
 * Buffer episodes: from the first poll with buffered events to the first answered poll with none.
 * `reachableMs` is the first poll of the episode at which the bus reports Redis reachable after the
 * last one at which it did not (or did not answer); an episode drained within one poll interval
 * drains in 0 at that resolution.
 */
export function bufferEpisodes(polls: readonly StatusPoll[]): BufferEpisode[] {
  const out: BufferEpisode[] = [];
  let cur: { startMs: number; reachableMs: number | null; maxBuffered: number } | undefined;
  for (const p of polls) {
    if (!p.answered || p.buffered > 0 || !p.reachable) {
      if (!cur && p.answered && p.buffered > 0) cur = { startMs: p.tMs, reachableMs: null, maxBuffered: 0 };
      if (!cur) continue;
      if (p.answered) cur.maxBuffered = Math.max(cur.maxBuffered, p.buffered);
      if (!p.answered || !p.reachable) cur.reachableMs = null;
      else cur.reachableMs ??= p.tMs;
      if (!p.answered || p.buffered > 0) continue;
    }
    if (!cur) continue;
    out.push({
      startMs: cur.startMs,
      reachableMs: cur.reachableMs ?? p.tMs,
      emptyMs: p.tMs,
      maxBuffered: cur.maxBuffered,
    });
    cur = undefined;
  }
  if (cur)
    out.push({
      startMs: cur.startMs,
      reachableMs: cur.reachableMs ?? cur.startMs,
      emptyMs: null,
      maxBuffered: cur.maxBuffered,
    });
  return out;
}

export interface StreamFigures {
  present: Set<string>;
  inStream: number;
  duplicated: number;
  duplicatedSample: string[];
  outOfOrder: number;
  outOfOrderSample: string[];
}

/**
 * `ids` are the event ids of the stream in stream order; events of other probes (other prefixes)
 * are ignored. An event is out of order when an event before it in the stream was sent only after
 * this one was acknowledged: the bus reordered what the client had already ordered.
 */
export function streamFigures(
  ids: readonly string[],
  ops: readonly OpRecord[],
  prefix: string,
): StreamFigures {
  const byKey = new Map<string, OpRecord>();
  for (const o of ops) if (o.key !== undefined) byKey.set(o.key, o);
  const present = new Set<string>();
  const f: StreamFigures = {
    present,
    inStream: 0,
    duplicated: 0,
    duplicatedSample: [],
    outOfOrder: 0,
    outOfOrderSample: [],
  };
  let latestStart = Number.NEGATIVE_INFINITY;
  for (const id of ids) {
    if (!id.startsWith(`${prefix}-`)) continue;
    if (present.has(id)) {
      f.duplicated++;
      if (f.duplicatedSample.length < STREAM_SAMPLE_SIZE) f.duplicatedSample.push(id);
      continue;
    }
    present.add(id);
    const op = byKey.get(id);
    if (!op) continue;
    if (op.outcome === 'ok' && latestStart > op.endMs) {
      f.outOfOrder++;
      if (f.outOfOrderSample.length < STREAM_SAMPLE_SIZE) f.outOfOrderSample.push(id);
    }
    latestStart = Math.max(latestStart, op.startMs);
  }
  f.inStream = present.size;
  return f;
}

/** Worst drain (emptyMs - reachableMs) of the drained episodes; null when there is none. */
export function worstDrainMs(episodes: readonly BufferEpisode[]): number | null {
  const d = episodes.filter((e) => e.emptyMs !== null).map((e) => (e.emptyMs as number) - e.reachableMs);
  return d.length ? Math.max(...d) : null;
}
