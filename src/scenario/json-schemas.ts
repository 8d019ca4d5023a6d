import { z } from 'zod';
import { environmentFile, scenario, targetsFile } from './schema.js';

/** The JSON Schemas published under schemas/ so editors check the YAML files. */
export function jsonSchemas(): Record<string, unknown> {
  const make = (schema: z.ZodType, title: string) => ({
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
    title,
  });
  return {
    'scenario.schema.json': make(scenario, 'chaos-harness scenario (scenarios/<name>.yaml)'),
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
