// The files `npm run schemas` writes, by path from the project root, with their text.
import { jsonSchemas, renderJsonSchema } from './json-schemas.js';
import { renderKindsDoc } from './kinds-doc.js';

export function generatedFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, schema] of Object.entries(jsonSchemas()))
    out[`schemas/${file}`] = renderJsonSchema(schema);
  out['docs/kinds.md'] = renderKindsDoc();
  return out;
}
