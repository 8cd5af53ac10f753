import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, configSchema, envName, flagName } from '../../src/config/schema.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('the configuration table lists every setting of the schema with its flag, env var and default', () => {
    const defaults = configSchema.parse({});
    const rows = readme.split('\n').filter((l) => /^\| `--/.test(l));
    expect(rows).toHaveLength(CONFIG_KEYS.length);
    for (const key of CONFIG_KEYS) {
      const row = rows.find((r) => r.startsWith(`| \`--${flagName(key)}\` |`));
      expect(row, `no README row for --${flagName(key)}`).toBeDefined();
      expect(row).toContain(`| \`${envName(key)}\` |`);
      const shown = defaults[key] === undefined ? 'off' : String(defaults[key]);
      expect(row).toContain(`| \`${shown}\` |`);
    }
  });

  it('the quick start is two commands, and .ci/run runs the README\'s test command', () => {
    const quick = readme.split('## Quick start')[1]?.split('```sh')[1]?.split('```')[0] ?? '';
    const commands = quick.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
    expect(commands).toEqual(['npm install && npx pubkeeper serve', 'npm test']);
    expect(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')).toMatch(/^npm test( |$)/m);
  });
});
