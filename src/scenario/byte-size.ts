// Sizes exist as strings ("50MB", "200GB", "512MiB") only in files; code uses numbers of bytes.

import { z } from 'zod';
import { unit } from './units.js';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]i?[bB]|[bB])\s*$/;

/** Bytes for "50MB" (decimal), "512MiB" (binary) or a number (already bytes); undefined if malformed. */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  const bytes = Math.round(Number(m[1]) * (UNITS[(m[2] as string).toLowerCase()] as number));
  return Number.isFinite(bytes) ? bytes : undefined;
}

export const BYTE_SIZE_HINT = 'a size such as "50MB", "200GB" or "512MiB" (a bare number is bytes)';

/** A size field: a string with a unit or a number of bytes, parsed to bytes, at least `min`. */
export function byteSize(min: number, max: number) {
  return unit(
    z.union([z.number(), z.string()]).transform((v, c) => {
      const bytes = parseByteSize(v);
      if (bytes === undefined) {
        c.addIssue({ code: 'custom', message: `expected ${BYTE_SIZE_HINT}, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      if (bytes < min || bytes > max) {
        c.addIssue({ code: 'custom', message: `expected between ${min} and ${max} bytes, got ${bytes}` });
        return z.NEVER;
      }
      return bytes;
    }),
    'bytes',
  );
}
