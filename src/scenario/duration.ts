// Durations exist as strings ("250ms", "30s", "5m") only in files; code uses numbers in ms.

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)\s*$/;

/** Milliseconds for "250ms" / "1.5s" / "5m" / "1h" or a number (already ms); undefined if malformed. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNITS[m[2] as string] as number));
}

export const DURATION_HINT =
  'a duration such as "250ms", "30s", "5m" or "1h" (a bare number is milliseconds)';
