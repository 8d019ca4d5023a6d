// `npm run schemas`: regenerate schemas/*.json from the zod schemas.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas, renderJsonSchema } from './json-schemas.js';
import { PROJECT_ROOT } from './load.js';

for (const [file, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(join(PROJECT_ROOT, 'schemas', file), renderJsonSchema(schema));
  process.stdout.write(`wrote schemas/${file}\n`);
}
