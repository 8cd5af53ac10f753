// Writes protocol/schemas/ from the zod schemas: `npm run schemas`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateJsonSchemas } from '../src/protocol/jsonSchemas.js';

// dist/scripts/ → repo root
const root = fileURLToPath(new URL('../../', import.meta.url));
for (const [file, schema] of Object.entries(generateJsonSchemas())) {
  const path = join(root, 'protocol', 'schemas', file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote ${path}\n`);
}
