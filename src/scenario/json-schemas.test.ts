import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemas, renderJsonSchema } from './json-schemas.js';
import { PROJECT_ROOT } from './load.js';

describe('committed JSON Schemas', () => {
  it.each(Object.entries(jsonSchemas()))(
    'schemas/%s matches the zod schema (run `npm run schemas`)',
    (file, schema) => {
      const committed = readFileSync(join(PROJECT_ROOT, 'schemas', file), 'utf8');
      expect(committed).toBe(renderJsonSchema(schema));
    },
  );
});
