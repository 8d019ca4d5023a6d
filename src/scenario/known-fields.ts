// Messages for unknown fields: the fields that are allowed there and, for a likely typo, which one
// was meant ("stedyState" → "steadyState"). Zod's unrecognized_keys issue lists only the bad keys.
import type { ZodType } from 'zod';

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

function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (x[i - 1] === y[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[y.length] as number;
}

/** "unknown field; did you mean "steadyState"? Fields here: ..." */
export function unknownFieldMessage(
  key: string,
  known: readonly string[] | undefined,
  what = 'field',
): string {
  if (!known || known.length === 0) return `unknown ${what}`;
  // A prefix ("rate" for "rateKBps") or a near miss ("stedyState" for "steadyState").
  const prefixed =
    key.length >= 3 ? known.find((k) => k.toLowerCase().startsWith(key.toLowerCase())) : undefined;
  const nearest = [...known].sort((a, b) => distance(key, a) - distance(key, b))[0] as string;
  const best =
    prefixed ?? (distance(key, nearest) <= Math.max(1, Math.floor(nearest.length / 4)) ? nearest : undefined);
  return `unknown ${what}${best ? `; did you mean "${best}"?` : ';'} Expected one of: ${known.join(', ')}`;
}
