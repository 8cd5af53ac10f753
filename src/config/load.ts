import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { CONFIG_KEYS, configSchema, envName, type Config, type ConfigKey } from './schema.js';

/** A misconfiguration: the CLI prints `message` as its one line and exits 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ConfigSources {
  /** Path of a JSON config file (`--config`), keys as in the schema. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Values from flags, already keyed by schema key. */
  flags?: Partial<Record<ConfigKey, string | number>>;
}

/** Merges schema defaults < file < `PUBKEEPER_*` env < flags, validates once, freezes. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const fromFile = sources.file ? readConfigFile(sources.file) : {};
  const fromEnv = readEnv(sources.env ?? {});
  const merged = { ...fromFile, ...fromEnv, ...(sources.flags ?? {}) };
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(describeConfigIssue(parsed.error));
  return Object.freeze(parsed.data);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`config file ${path} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

function readEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const value = env[envName(key)];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

function describeConfigIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid configuration';
  if (issue.code === 'unrecognized_keys') return `unknown config key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  const key = issue.path.join('.');
  return `invalid value for ${key}: ${issue.message}`;
}
