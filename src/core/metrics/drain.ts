// Drain time of an event bus's buffer episodes (StreamCheck), anchored where the harness knows
// when Redis became reachable again: the end of a timed fault (a partition healed) inside the
// episode. Without one (a kill: the stack decides when it is back) the bus's own report is the
// anchor (the first status poll at which it reached Redis again).
import type { BufferEpisode, StreamCheck } from '../report-model.js';

export function drainFromMs(e: BufferEpisode): number {
  return e.healedMs ?? e.reachableMs;
}

export function anchorDrains(s: StreamCheck, faultEndedMs: number | undefined): StreamCheck {
  const episodes = s.episodes.map((e) => {
    const inside =
      faultEndedMs !== undefined &&
      faultEndedMs >= e.startMs &&
      (e.emptyMs === null || faultEndedMs <= e.emptyMs);
    return inside ? { ...e, healedMs: faultEndedMs } : { ...e };
  });
  const drained = episodes
    .filter((e) => e.emptyMs !== null)
    .map((e) => (e.emptyMs as number) - drainFromMs(e));
  return { ...s, episodes, drainMs: drained.length ? Math.max(...drained) : null };
}
