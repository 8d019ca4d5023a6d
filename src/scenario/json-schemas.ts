import { z } from 'zod';
import { DURATION_PATTERN, durationSchemas, MAX_TIMER_MS } from './duration.js';
import { kindEntries } from './kind-schemas.js';
import { environmentFile, scenarioWith, targetsFile } from './schema.js';

/**
 * A duration as a file gives it (a number of milliseconds, or a string with a unit), the examples
 * of a kind, and no format that JSON Schema does not define.
 */
function asWritten(ctx: { zodSchema: unknown; jsonSchema: object }): void {
  const js = ctx.jsonSchema as Record<string, unknown>;
  // zod drops examples of an object with a transforming field (io input); ours are inputs.
  const examples = z.globalRegistry.get(ctx.zodSchema as z.ZodType)?.examples;
  if (Array.isArray(examples) && js.examples === undefined) js.examples = examples;
  // zod's name for startsWith() is no JSON Schema format; the pattern beside it says the same.
  if (js.format === 'starts_with' && typeof js.pattern === 'string') delete js.format;
  const d = durationSchemas.get(ctx.zodSchema as z.ZodType);
  if (!d) return;
  delete js.type;
  js.anyOf = [
    { type: 'number', minimum: d.minMs, maximum: MAX_TIMER_MS },
    { type: 'string', pattern: DURATION_PATTERN },
  ];
}

/** The JSON Schemas published under schemas/ so editors check the YAML files. */
export function jsonSchemas(): Record<string, unknown> {
  const make = (schema: z.ZodType, title: string) => ({
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', override: asWritten }),
    title,
  });
  // A file that `extends` another gets its environment and probes from there.
  const { required, ...scenario } = make(
    scenarioWith(kindEntries()),
    'chaos-harness scenario (scenarios/<name>.yaml)',
  );
  return {
    'scenario.schema.json': {
      ...scenario,
      if: { required: ['extends'] },
      else: { required },
    },
    'environment.schema.json': make(
      environmentFile,
      'chaos-harness environment (environments/<name>/environment.yaml)',
    ),
    'targets.schema.json': make(targetsFile, 'chaos-harness targets (environments/<name>/targets.yaml)'),
  };
}

export function renderJsonSchema(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
