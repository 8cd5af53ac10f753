import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { flagName } from '../config/schema.js';

/** What help shows after an option's description. */
export interface OptionDoc {
  /** The default as shown; commander is never given it, so an unset flag stays unset. */
  readonly default?: string | undefined;
  /** The environment variable the command reads when the flag is absent. */
  readonly env?: string | undefined;
}

// Kept beside commander's Option rather than in `.default()`/`.env()`: commander would apply the
// default itself and read `process.env`, whereas our commands apply flag > env > default with the
// env they are given (CliIo), and `serve` must hand only the flags actually given to loadConfig.
const DOCS = new WeakMap<Option, OptionDoc>();
const ENVS = new Set<string>();

/** An option whose help line says its default and env variable. */
export function documented(option: Option, doc: OptionDoc): Option {
  DOCS.set(option, doc);
  if (doc.env !== undefined) ENVS.add(doc.env);
  return option;
}

/** Every env variable an option of the program reads (once the program is built). */
export function knownEnv(): ReadonlySet<string> {
  return ENVS;
}

/** `Port to listen on (default: 9898, env: PUBKEEPER_PORT)`: commander's style for its own extras. */
export function optionDescription(option: Option): string {
  const doc = DOCS.get(option);
  const extras = [doc?.default === undefined ? undefined : `default: ${doc.default}`, doc?.env === undefined ? undefined : `env: ${doc.env}`].filter(
    (extra) => extra !== undefined,
  );
  return extras.length === 0 ? option.description : `${option.description} (${extras.join(', ')})`;
}

export interface SchemaOption {
  readonly key: string;
  readonly option: Option;
}

/** Metadata a command's option schema may give a field besides its description. */
interface FieldMeta {
  /** The placeholder in help: `--sub <name>`. */
  readonly placeholder?: string;
  /** Taken several times: `--right R --right S`. */
  readonly repeatable?: boolean;
}

/**
 * One option per field of a zod object schema, so help and parsing come from the schema that
 * holds the defaults: `--kebab-case <value>`, a switch for a field whose default is a boolean,
 * the field's `.describe()` text, its default, and the env variable `envOf` names for it.
 */
export function schemaOptions(schema: z.ZodObject, envOf: (key: string) => string | undefined): SchemaOption[] {
  const defaults = schema.parse({}) as Record<string, unknown>;
  return Object.entries(schema.shape).map(([key, field]) => {
    const meta = (field.meta() ?? {}) as FieldMeta;
    const value = defaults[key];
    const isSwitch = typeof value === 'boolean';
    const placeholder = meta.placeholder ?? placeholderOf(key);
    const flags = isSwitch ? `--${flagName(key)}` : `--${flagName(key)} <${placeholder}>`;
    const option = new Option(flags, field.description ?? '');
    if (meta.repeatable) repeatable(option);
    return { key, option: documented(option, { default: value === undefined ? undefined : String(value), env: envOf(key) }) };
  });
}

/** An option that may be given several times: its value is the list of them all. */
export function repeatable(option: Option): Option {
  return option.argParser((text: string, previous: string[] | undefined) => [...(previous ?? []), text]);
}

/** `<ms>` for a duration, `<bytes>` for a size, `<value>` otherwise. */
function placeholderOf(key: string): string {
  if (key.endsWith('Ms')) return 'ms';
  if (key.endsWith('Bytes')) return 'bytes';
  return 'value';
}

export type FlagValues = Record<string, string | string[] | boolean | undefined>;

/**
 * A command's parsed flags keyed by how they are written (`timeout-ms`, `no-wait`), only those
 * given: commander keys them by camelCase attribute and turns `--no-x` into `x: false`.
 */
export function flagValues(command: Command): FlagValues {
  const opts = command.optsWithGlobals();
  const values: FlagValues = {};
  for (const owner of lineage(command)) {
    for (const option of owner.options) {
      const name = option.long?.slice(2);
      if (name === undefined || name in values) continue;
      const value = opts[option.attributeName()] as string | string[] | boolean | undefined;
      if (option.negate) values[name] = value === false ? true : undefined;
      else values[name] = value;
    }
  }
  return values;
}

/** The command and its parents, nearest first. */
export function lineage(command: Command): Command[] {
  const chain: Command[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) chain.push(c);
  return chain;
}
