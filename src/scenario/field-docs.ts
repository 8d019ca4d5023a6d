// One row per field of an object schema, for docs/kinds.md: its type (a duration, an enum, a
// number with its bounds, ...), unit, default and description, read from the zod schema itself.
import { z } from 'zod';
import { durationSchemas } from './duration.js';
import { fieldUnits } from './units.js';

export interface FieldDoc {
  name: string;
  type: string;
  unit: string;
  /** The default as a file would write it; "required" or "optional" when there is none. */
  default: string;
  description: string;
}

interface Def {
  type?: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  defaultValue?: unknown;
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** "60s", "5m", "250ms": how a file would write `ms`. */
export function formatMs(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return ms === 0 ? '0s' : `${ms}ms`;
}

type Json = Record<string, unknown>;
const code = (v: unknown) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;

function range(js: Json): string {
  // zod bounds every integer by the safe range: no bound a reader needs to know.
  for (const k of ['minimum', 'maximum'] as const)
    if (Math.abs(Number(js[k])) === Number.MAX_SAFE_INTEGER) delete js[k];
  const min = js.minimum ?? (js.exclusiveMinimum !== undefined ? `> ${js.exclusiveMinimum}` : undefined);
  const max = js.maximum;
  if (typeof min === 'number' && typeof max === 'number') return `, ${min} to ${max}`;
  if (min !== undefined) return typeof min === 'number' ? `, at least ${min}` : `, ${min}`;
  return typeof max === 'number' ? `, at most ${max}` : '';
}

/** A JSON Schema (of a file's input) in a few words. */
function typeText(js: Json): string {
  if (Array.isArray(js.enum)) return `one of ${js.enum.map(code).join(', ')}`;
  if (js.const !== undefined) return code(js.const);
  for (const k of ['anyOf', 'oneOf'] as const) {
    const alts = js[k];
    if (Array.isArray(alts)) return alts.map((a) => typeText(a as Json)).join(' or ');
  }
  const type = Array.isArray(js.type) ? js.type.join(' or ') : js.type;
  if (type === 'integer' || type === 'number') return `${type}${range(js)}`;
  if (type === 'array') {
    const n = typeof js.minItems === 'number' && js.minItems > 0 ? ` (at least ${js.minItems})` : '';
    return `list of ${js.items ? typeText(js.items as Json) : 'values'}${n}`;
  }
  if (type === 'object' && js.additionalProperties && typeof js.additionalProperties === 'object')
    return `map of ${typeText(js.additionalProperties as Json)}`;
  return typeof type === 'string' ? type : 'any';
}

/** The default as a file would write it. */
function defaultText(value: unknown, isDuration: boolean): string {
  if (isDuration && typeof value === 'number') return code(formatMs(value));
  if (Array.isArray(value) && value.length === 0) return '`[]`';
  return code(value);
}

/** Walks optional / default / describe clones down to the schema that says what the field is. */
export function fieldDoc(name: string, schema: z.ZodType): FieldDoc {
  let s: z.ZodType | undefined = schema;
  let description: string | undefined;
  let unit: string | undefined;
  let optional = false;
  let dflt: { value: unknown } | undefined;
  let duration = false;
  for (let i = 0; i < 20 && s; i++) {
    description ??= z.globalRegistry.get(s)?.description;
    unit ??= fieldUnits.get(s)?.unit;
    if (durationSchemas.get(s)) duration = true;
    const d = defOf(s);
    if (d.type === 'optional') optional = true;
    if (d.type === 'default') dflt ??= { value: d.defaultValue };
    if (duration) break;
    if (d.innerType) s = d.innerType;
    else break;
  }
  const inner = s as z.ZodType;
  const type = duration
    ? 'duration'
    : typeText(z.toJSONSchema(inner, { io: 'input', unrepresentable: 'any' }) as Json);
  return {
    name,
    type,
    unit: duration ? 'ms (a bare number)' : (unit ?? ''),
    default: dflt ? defaultText(dflt.value, duration) : optional ? 'optional' : '**required**',
    description: description ?? '',
  };
}

export function fieldDocs(obj: z.ZodObject, skip: readonly string[] = []): FieldDoc[] {
  return Object.entries(obj.shape)
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => fieldDoc(k, v as z.ZodType));
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function fieldTable(rows: readonly FieldDoc[]): string {
  if (rows.length === 0) return 'No fields of its own.\n';
  const lines = [
    '| field | type | unit | default | description |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| \`${r.name}\` | ${cell(r.type)} | ${cell(r.unit)} | ${cell(r.default)} | ${cell(r.description)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
