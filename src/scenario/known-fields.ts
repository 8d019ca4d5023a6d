// Messages for unknown fields: the fields that are allowed there and, for a likely typo, which one
// was meant ("stedyState" → "steadyState"). Zod's unrecognized_keys issue lists only the bad keys.
import type { ZodObject, ZodType } from 'zod';

interface Def {
  type?: string;
  shape?: Record<string, ZodType>;
  element?: ZodType;
  innerType?: ZodType;
  in?: ZodType;
  valueType?: ZodType;
}

const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** Unwraps optional / default / pipe / ... down to the schema that holds fields. */
function unwrap(schema: ZodType | undefined): ZodType | undefined {
  let s = schema;
  for (let i = 0; i < 20 && s; i++) {
    const d = defOf(s);
    if (!d) return s;
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
  return s;
}

/** The object schema that holds the fields of `schema` (under optional, default, a transform, ...). */
export function objectSchemaOf(schema: ZodType): ZodObject | undefined {
  const s = unwrap(schema);
  return defOf(s)?.type === 'object' ? (s as unknown as ZodObject) : undefined;
}

/** Field names of the object schema at `path` inside `schema`, when it can be told statically. */
export function fieldsAt(schema: ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let s = unwrap(schema);
  for (const key of path) {
    const d = defOf(s);
    if (!d) return undefined;
    if (d.type === 'object' && d.shape) s = unwrap(d.shape[String(key)]);
    else if (d.type === 'array' && d.element) s = unwrap(d.element);
    else if (d.type === 'record' && d.valueType) s = unwrap(d.valueType);
    else return undefined;
  }
  const d = defOf(s);
  return d?.type === 'object' && d.shape ? Object.keys(d.shape) : undefined;
}

/**
 * Edits between two names, case ignored: insertions, deletions, substitutions and swaps of two
 * neighbours (optimal string alignment), so "udno" is one edit from "undo", as a typist sees it.
 */
export function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // d[i][j]: edits between x's first i and y's first j characters.
  const d = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const same = x[i - 1] === y[j - 1];
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (same ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(x.length, y.length);
}

/** The field a misspelt `key` most likely meant, if one is close enough. */
export function closestField(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  // The old spelling of a duration ("durationMs", "timeoutMs"): the field is its name without Ms.
  const withoutMs = /^(.+)Ms$/i.exec(key)?.[1];
  const renamed = withoutMs ? known.find((k) => k.toLowerCase() === withoutMs.toLowerCase()) : undefined;
  if (renamed) return renamed;
  // A prefix ("rate" for "rateKBps") or a near miss ("stedyState" for "steadyState").
  const prefixed =
    key.length >= 3 ? known.find((k) => k.toLowerCase().startsWith(key.toLowerCase())) : undefined;
  if (prefixed) return prefixed;
  const nearest = [...known].sort((a, b) => distance(key, a) - distance(key, b))[0] as string;
  return distance(key, nearest) <= Math.max(1, Math.floor(nearest.length / 4)) ? nearest : undefined;
}

/** 'unknown field; did you mean "steadyState"? Expected one of: ...' */
export function unknownFieldMessage(
  key: string,
  known: readonly string[] | undefined,
  what = 'field',
): string {
  if (!known || known.length === 0) return `unknown ${what}`;
  const best = closestField(key, known);
  return `unknown ${what}${best ? `; did you mean "${best}"?` : ';'} Expected one of: ${known.join(', ')}`;
}
