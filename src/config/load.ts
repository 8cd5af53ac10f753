import { readFileSync } from 'node:fs';
import { explainIssue } from './explain.js';
import { CONFIG_KEYS, configSchema, envName, flagName, type Config, type ConfigKey } from './schema.js';

/** Where a setting's value came from, so an error can point at the one to fix. */
export type ConfigSource = 'flag' | 'env' | 'file';

/**
 * A misconfiguration: the CLI prints `message` as its one line and exits 2. `key` and `source`
 * say which setting was at fault and where its value came from, when one was.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    message: string,
    readonly key?: ConfigKey,
    readonly source?: ConfigSource,
  ) {
    super(message);
  }
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
  const fromFlags = sources.flags ?? {};
  const parsed = configSchema.safeParse({ ...fromFile, ...fromEnv, ...fromFlags });
  if (parsed.success) return Object.freeze(parsed.data);
  const issue = parsed.error.issues[0];
  if (!issue) throw new ConfigError('invalid configuration');
  if (issue.code === 'unrecognized_keys') {
    const where = sources.file && issue.keys.some((k) => k in fromFile) ? ` in config file ${sources.file}` : '';
    throw new ConfigError(`unknown config key ${issue.keys.map((k) => `"${k}"`).join(', ')}${where}`);
  }
  const key = issue.path[0] as ConfigKey;
  // The source that won the merge is the one whose value was refused.
  const source: ConfigSource = key in fromFlags ? 'flag' : key in fromEnv ? 'env' : 'file';
  throw new ConfigError(`invalid value for ${culprit(key, source, sources.file)}: ${explainIssue(issue)}`, key, source);
}

/** The thing to fix, named as the user wrote it, with the other names of the same setting. */
function culprit(key: ConfigKey, source: ConfigSource, file: string | undefined): string {
  if (!(CONFIG_KEYS as string[]).includes(key)) return `"${String(key)}"`;
  if (source === 'flag') return `--${flagName(key)} (env ${envName(key)})`;
  if (source === 'env') return `env ${envName(key)} (flag --${flagName(key)})`;
  return `"${key}" in config file ${file ?? '?'} (flag --${flagName(key)}, env ${envName(key)})`;
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
