import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateJsonSchemas } from '../../src/protocol/jsonSchemas.js';

describe('protocol/schemas is generated from the zod schemas', () => {
  it('every checked-in schema equals what `npm run schemas` would write, and none is missing or extra', () => {
    const generated = generateJsonSchemas();
    const onDisk = ['pubkeeper', 'pxp'].flatMap((folder) => readdirSync(new URL(`../../protocol/schemas/${folder}/`, import.meta.url)).map((f) => `${folder}/${f}`)).sort();
    expect(onDisk).toEqual(Object.keys(generated).sort());
    for (const [file, schema] of Object.entries(generated)) {
      const text = readFileSync(new URL(`../../protocol/schemas/${file}`, import.meta.url), 'utf8');
      expect(JSON.parse(text), `${file} is stale: run npm run schemas`).toEqual(schema);
    }
  });
});
