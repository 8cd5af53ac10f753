import { CONFIG_KEYS, configSchema, envName, flagName } from '../config/schema.js';

/**
 * `pubkeeper serve --help`: every setting of the one config schema with its flag, env variable,
 * default and meaning, so the list cannot drift from what `serve` accepts.
 */
export function serveHelp(): string {
  const defaults = configSchema.parse({});
  const rows = CONFIG_KEYS.map((key) => {
    const value = defaults[key];
    const shown = value === undefined ? 'off' : String(value);
    const meaning = configSchema.shape[key].description ?? '';
    return [`--${flagName(key)}`, envName(key), shown, meaning] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  const lines = rows.map(([flag, env, shown, meaning]) => `  ${flag.padEnd(width)}  ${meaning} (default ${shown}; env ${env})`);
  return [
    'usage: pubkeeper serve [--config FILE] [flags]',
    '',
    'Precedence: defaults < --config FILE (JSON, camelCase keys) < PUBKEEPER_* env < flags.',
    '',
    ...lines,
    '',
  ].join('\n');
}
