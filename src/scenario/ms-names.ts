// A kind's fields are spelt as users write them (`duration: 5s`), and so are its messages and docs;
// its code reads milliseconds as `durationMs` (durations in code are numbers named …Ms). This
// renames the parsed values, after validation, so the two never meet.
import type { z } from 'zod';

/** T with each key of K renamed to `<key>Ms`, optional ones staying optional. */
export type MsNamed<T, K extends string> = { [P in keyof T as P extends K ? `${P & string}Ms` : P]: T[P] };

export function withMsNames<
  S extends z.ZodType<Record<string, unknown>>,
  K extends keyof z.output<S> & string,
>(schema: S, keys: readonly K[]) {
  const renamed = new Set<string>(keys);
  return schema.transform((v) => {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[renamed.has(k) ? `${k}Ms` : k] = x;
    return out as MsNamed<z.output<S>, K>;
  });
}
