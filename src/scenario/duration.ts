// Durations exist as strings ("250ms", "30s", "5m") only in files; code uses numbers in ms.

import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)\s*$/;
/** The same, for the JSON Schema: editors flag "5 seconds" as they type. */
export const DURATION_PATTERN = PATTERN.source;

/**
 * The longest delay a Node.js timer holds (2^31-1 ms, about 24.9 days). A longer one fires at once
 * with a TimeoutOverflowWarning, so `at: 1e12` would inject immediately: every duration of a file is
 * at most this.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Shortest probe interval (longest: MAX_TIMER_MS). Set with the scheduler of the time, which skipped
 * every slot it was late for (bench/probe-rate-floor.ts, now folded into bench/probe-capacity.ts):
 * alone it reached 800-890 of 1000 ops/s at 1 ms, an HTTP GET probe 659-679 of 1000 at 1 ms and
 * 483-492 of 500 at 2 ms; at 5 ms both reached 198-200 of 200. The scheduler now catches up and
 * bench/probe-capacity.ts measures the kinds far higher; the floor stays as the rate scenarios need,
 * and a probe that cannot keep its rate ends the run ERROR (PROBE_BEHIND_SCHEDULE).
 */
export const MIN_PROBE_INTERVAL_MS = 5;
/** Highest probe rate (operations per second), the same bound as MIN_PROBE_INTERVAL_MS. */
export const MAX_PROBE_RATE = 1000 / MIN_PROBE_INTERVAL_MS;
/** Lowest probe rate: one operation every 1000 s. */
export const MIN_PROBE_RATE = 0.001;

/** Milliseconds for "250ms" / "1.5s" / "5m" / "1h" or a number (already ms); undefined if malformed. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * (UNITS[m[2] as string] as number));
  return Number.isFinite(ms) ? ms : undefined;
}

/** "24.8 days" for the limit in messages. */
export function describeMs(ms: number): string {
  if (ms >= 86_400_000) return `${(ms / 86_400_000).toFixed(1)} days`;
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 1000) return `${ms / 1000} s`;
  return `${ms} ms`;
}

export const TIMER_LIMIT_HINT = `at most ${MAX_TIMER_MS} ms (${describeMs(MAX_TIMER_MS)}, the longest a Node.js timer can wait)`;

export const DURATION_HINT =
  'a duration such as "250ms", "30s", "5m" or "1h" (a bare number is milliseconds)';

/**
 * Every duration schema, with its least value: the JSON Schema shows them as a number of ms or a
 * string with a unit, and docs/kinds.md as "duration". Clones (`.describe()`) inherit the entry.
 */
export const durationSchemas = z.registry<{ minMs: number }>();

/**
 * "30s" | 30000 → 30000, between `min` and MAX_TIMER_MS (every duration ends up in a Node.js timer).
 * The JSON Schema shows the input form.
 */
export function durationBetween(min = 0) {
  const schema = z
    .union([z.number(), z.string()], { error: `expected ${DURATION_HINT}` })
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HINT}, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      if (ms > MAX_TIMER_MS) {
        ctx.addIssue({ code: 'custom', message: `expected ${TIMER_LIMIT_HINT}, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      if (ms < min) {
        ctx.addIssue({
          code: 'custom',
          message: `expected at least ${describeMs(min)}, got ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      return ms;
    });
  durationSchemas.add(schema, { minMs: min });
  return schema;
}

export const duration = durationBetween(0);
/** A timeout or wait that must be able to elapse: at least 1 ms. */
export const positiveDuration = durationBetween(1);
