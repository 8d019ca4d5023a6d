// A latency toxic slows operations without failing them, so its scenarios declare
// expectImpact: false and "no operation failed" cannot tell whether the fault did anything: a
// toxic on a proxy the workload does not cross, or one removed at once, would PASS every latency
// target. Its effect is checked on latency instead: some probe's median in the fault phase (of its
// operations, or of a series in milliseconds such as replication lag) must exceed its steady-state
// median by at least half the latency the toxic adds to a round trip.
// An iteration where none does had no observable effect, and the run cannot PASS.

import { MIN_OPS } from './evaluate.js';
import type { FaultRecord, IterationResult, LatencyEffect } from './report-model.js';

/** Share of the added round-trip latency the fault-phase median must show. */
export const EFFECT_SHARE = 0.5;

/**
 * The latency a fault adds to one round trip (ms): the toxic's latency, twice with
 * direction both. null for a fault that is not a latency toxic on every connection (with
 * toxicity below 1 only some connections are slowed, and the median need not move).
 */
export function addedRoundTripMs(f: FaultRecord): number | null {
  const d = f.details;
  if (d.type !== 'latency') return null;
  const latency = (d.attributes as { latency?: unknown } | undefined)?.latency;
  if (typeof latency !== 'number' || latency <= 0) return null;
  if (typeof d.toxicity === 'number' && d.toxicity < 1) return null;
  return latency * (d.direction === 'both' ? 2 : 1);
}

/** The iteration's latency effect, or undefined when none of its faults is a latency toxic. */
export function latencyEffect(it: IterationResult): LatencyEffect | undefined {
  const added = it.faults.map(addedRoundTripMs).filter((v): v is number => v !== null);
  if (added.length === 0) return undefined;
  const addedMs = Math.max(...added);
  const neededMs = addedMs * EFFECT_SHARE;
  let best: LatencyEffect | undefined;
  const consider = (probe: string, steady: number | null, fault: number | null) => {
    if (steady === null || fault === null) return;
    const riseMs = fault - steady;
    if (best && riseMs <= (best.riseMs ?? Number.NEGATIVE_INFINITY)) return;
    best = {
      addedMs,
      neededMs,
      probe,
      steadyP50Ms: steady,
      faultP50Ms: fault,
      riseMs,
      seen: riseMs >= neededMs,
    };
  };
  for (const p of it.probes) {
    const { steady, fault } = p.phases;
    if (steady.ok >= MIN_OPS && fault.ok >= MIN_OPS) consider(p.probe, steady.p50Ms, fault.p50Ms);
    // A series in milliseconds shows a toxic on a link no operation crosses (replication lag).
    for (const [name, phases] of Object.entries(p.series ?? {})) {
      if (!name.endsWith('Ms')) continue;
      if (phases.steady.count < MIN_OPS || phases.fault.count < MIN_OPS) continue;
      consider(`${p.probe} (series ${name})`, phases.steady.p50, phases.fault.p50);
    }
  }
  return (
    best ?? { addedMs, neededMs, probe: null, steadyP50Ms: null, faultP50Ms: null, riseMs: null, seen: false }
  );
}

/** Attaches each iteration's latency effect; returns the first iteration where none was seen. */
export function checkLatencyEffects(iterations: readonly IterationResult[]): IterationResult | undefined {
  let missing: IterationResult | undefined;
  for (const it of iterations) {
    const e = latencyEffect(it);
    if (!e) continue;
    it.latencyEffect = e;
    if (!e.seen && !missing) missing = it;
  }
  return missing;
}

/** Why the run cannot pass, naming the iteration, the toxic's latency and what the probes showed. */
export function noEffectMessage(it: IterationResult): string {
  const e = it.latencyEffect;
  if (!e) return 'the latency fault had no observable effect';
  const which = `iteration ${it.index + 1}${it.name ? ` (${it.name})` : ''}`;
  const shown =
    e.probe === null
      ? `no probe had ${MIN_OPS} successful operations in both the steady and the fault phase`
      : `the largest rise was probe "${e.probe}": p50 ${fmt(e.steadyP50Ms)} ms steady, ${fmt(e.faultP50Ms)} ms during the fault (${(e.riseMs ?? 0) >= 0 ? '+' : ''}${fmt(e.riseMs)} ms)`;
  return (
    `the latency fault had no observable effect in ${which}: it adds ${fmt(e.addedMs)} ms per round trip, ` +
    `so some probe's fault-phase p50 should rise by at least ${fmt(e.neededMs)} ms over its steady p50; ${shown}. ` +
    'Does the workload cross the proxy the fault acts on?'
  );
}

function fmt(v: number | null): string {
  return v === null ? '—' : String(Math.round(v * 10) / 10);
}
