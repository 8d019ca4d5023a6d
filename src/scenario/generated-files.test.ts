import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from './generated-files.js';
import { PROJECT_ROOT } from './load.js';

describe('generated files', () => {
  it.each(Object.entries(generatedFiles()))('%s is up to date (run `npm run schemas`)', (file, text) => {
    expect(readFileSync(join(PROJECT_ROOT, file), 'utf8')).toBe(text);
  });
});
