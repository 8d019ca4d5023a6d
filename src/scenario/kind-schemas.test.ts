import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { builtinActions } from '../actions/index.js';
import { builtinInjectors } from '../injectors/index.js';
import { builtinProbes } from '../probes/index.js';
import { fieldDocs } from './field-docs.js';
import { builtinKinds, COMMON_FIELDS } from './kind-schemas.js';
import { BASE_METRICS, METRICS, SERIES_METRICS } from './metrics.js';
import { actionEntry, faultEntry, probeEntry, target } from './schema.js';

type Registry = Record<string, { params: z.ZodType }>;
const sorts = [
  ['fault', builtinKinds.fault(), builtinInjectors as Registry, faultEntry],
  ['probe', builtinKinds.probe(), builtinProbes as Registry, probeEntry],
  ['action', builtinKinds.action(), builtinActions as Registry, actionEntry],
] as const;

const cases = sorts.flatMap(([sort, kinds, registry, entry]) =>
  kinds.map((k) => [`${sort} ${k.kind}`, k, registry, entry as z.ZodType, COMMON_FIELDS[sort]] as const),
);

describe('the kinds, as docs/kinds.md and the JSON Schema show them', () => {
  it.each(cases)('%s says what it does, and what each of its fields is', (_, k) => {
    expect(k.description.length).toBeGreaterThan(20);
    for (const f of fieldDocs(k.fields)) expect(f.description, f.name).not.toBe('');
  });

  it.each(cases)('%s has an example its schemas accept', (_, k, registry, entry, common) => {
    expect(k.examples.length).toBeGreaterThan(0);
    for (const e of k.examples) {
      const full = { kind: k.kind, ...e };
      expect(entry.safeParse(full).success).toBe(true);
      const own = Object.fromEntries(Object.entries(e).filter(([f]) => !common.includes(f)));
      const r = registry[k.kind]?.params.safeParse(own);
      expect(r?.error).toBeUndefined();
    }
  });

  it('field names are the YAML keys: no kind field is spelt with a unit of time', () => {
    const all = cases.flatMap(([, k]) => Object.keys(k.fields.shape).map((f) => `${k.kind}.${f}`));
    expect(all.filter((f) => /(Ms|Sec|Seconds)$/.test(f))).toEqual([]);
  });
});

describe('target metrics', () => {
  it.each([...BASE_METRICS.map((m) => [m, METRICS[m]] as const), ['series-*', SERIES_METRICS] as const])(
    '%s has a description and an example target the schema accepts',
    (_, m) => {
      expect(m.description.length).toBeGreaterThan(20);
      expect(target.safeParse(parse(m.example)).success).toBe(true);
    },
  );
});
