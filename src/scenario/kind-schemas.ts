// The kinds of the registries as zod schemas of whole entries: one branch per kind, its `kind`
// a literal, the common fields and the kind's own, nothing else. The published JSON Schema is made
// from these (so an editor checks a kind's fields), and docs/kinds.md walks the same branches.
import { z } from 'zod';
import { builtinActions } from '../actions/index.js';
import { builtinInjectors } from '../injectors/index.js';
import { builtinProbes } from '../probes/index.js';
import { objectSchemaOf } from './known-fields.js';
import { faultEntry, probeEntry } from './schema.js';

type Registry = Record<string, { params: z.ZodType }>;

/** Fields every entry of that sort has besides `kind` (the loader splits them off the same way). */
export const COMMON_FIELDS = {
  probe: Object.keys(probeEntry.shape).filter((k) => k !== 'kind'),
  fault: Object.keys(faultEntry.shape).filter((k) => k !== 'kind'),
  action: [] as string[],
} as const;

export interface KindInfo {
  kind: string;
  /** The kind's own fields (its params), as scenarios write them. */
  fields: z.ZodObject;
  description: string;
  /** Entries of this kind, without `kind`, that the kind's schema accepts. */
  examples: Record<string, unknown>[];
}

/** Every kind of a registry, sorted by name. */
export function kindsOf(registry: Registry): KindInfo[] {
  return Object.keys(registry)
    .sort()
    .map((kind) => {
      const params = (registry[kind] as { params: z.ZodType }).params;
      const fields = objectSchemaOf(params);
      if (!fields) throw new Error(`kind "${kind}": its params schema is not an object of fields`);
      const meta = z.globalRegistry.get(fields) ?? {};
      return {
        kind,
        fields,
        description: meta.description ?? '',
        examples: (meta.examples as Record<string, unknown>[] | undefined) ?? [],
      };
    });
}

function branchesOf(registry: Registry, common: z.ZodObject) {
  const commonShape = Object.fromEntries(Object.entries(common.shape).filter(([k]) => k !== 'kind'));
  return kindsOf(registry).map((k) =>
    z.strictObject({ kind: z.literal(k.kind), ...commonShape, ...k.fields.shape }).meta({
      description: k.description,
      examples: k.examples.map((e) => ({ kind: k.kind, ...e })),
    }),
  );
}

function unionOf(registry: Registry, common: z.ZodObject) {
  const [first, ...rest] = branchesOf(registry, common);
  if (!first) throw new Error('a registry without kinds');
  return z.discriminatedUnion('kind', [first, ...rest]);
}

/** Entry schemas with one branch per built-in kind, for scenarioWith(). */
export function kindEntries() {
  return {
    probe: unionOf(builtinProbes, probeEntry),
    fault: unionOf(builtinInjectors, faultEntry),
    action: unionOf(builtinActions, z.object({})),
  };
}

export const builtinKinds = {
  probe: () => kindsOf(builtinProbes),
  fault: () => kindsOf(builtinInjectors),
  action: () => kindsOf(builtinActions),
};
