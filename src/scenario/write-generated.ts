// `npm run schemas`: regenerate schemas/*.json and docs/kinds.md from the zod schemas and registries.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFiles } from './generated-files.js';
import { PROJECT_ROOT } from './load.js';

for (const [file, text] of Object.entries(generatedFiles())) {
  writeFileSync(join(PROJECT_ROOT, file), text);
  process.stdout.write(`wrote ${file}\n`);
}
