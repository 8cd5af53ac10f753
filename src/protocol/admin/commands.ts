import { fail, ok, type Result } from '../errors.js';
import { parsePcpUri, SUBJECT_PATTERN } from '../pcpUri.js';
import { brewerSchema, uuidSchema, type Brewer } from '../pubkeeper/packets.js';
import { parseTopic } from '../topic.js';

/**
 * The admin command API's wire (protocol/admin.md, CONTRACT §8): command objects
 * `{command, version, payload}` in PuppetDB's shape, the commands and versions this server knows,
 * and their payloads. Pure: text in, a typed command or a coded error out.
 */

export type RevocationPayload = { jti: string } | { sub: string };
export type KickPayload = { sub: string } | { uri: string };
export interface StaticBrewerPayload {
  topic: string;
  brewer: Brewer;
}
export interface StaticUnregisterPayload {
  topic: string;
  brewer: string | Brewer;
}

interface CommandSpec<P> {
  readonly versions: readonly number[];
  readonly validate: (payload: unknown) => Result<P>;
}

const MAX_JTI_LENGTH = 256;

/**
 * How deep a payload may nest. A brewer object is a few levels; thousands (a few KiB of `[`)
 * would overflow the stack wherever the server later walks the command (canonical form, the
 * answer's JSON), so such a payload is refused at the edge.
 */
export const MAX_PAYLOAD_DEPTH = 32;

/** Whether a JSON value nests deeper than `max`, found without recursion. */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Exactly one of `keys`, a string: the key and its value. */
function exactlyOne(payload: unknown, keys: readonly [string, string]): Result<[string, string]> {
  const detail = `give exactly one of ${keys[0]} and ${keys[1]}`;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return fail('INVALID_PAYLOAD', `the payload must be an object: ${detail}`);
  const present = Object.keys(payload);
  const [key] = present;
  if (present.length !== 1 || key === undefined || !keys.includes(key)) return fail('INVALID_PAYLOAD', detail);
  const value = (payload as Record<string, unknown>)[key];
  if (typeof value !== 'string') return fail('INVALID_PAYLOAD', `${key} must be a string`);
  return ok([key, value]);
}

function revocation(payload: unknown): Result<RevocationPayload> {
  const one = exactlyOne(payload, ['jti', 'sub']);
  if (!one.ok) return one;
  const [key, value] = one.value;
  if (key === 'jti') {
    if (value.length === 0 || value.length > MAX_JTI_LENGTH) return fail('INVALID_PAYLOAD', `jti must be 1 to ${MAX_JTI_LENGTH} characters`);
    return ok({ jti: value });
  }
  if (!SUBJECT_PATTERN.test(value)) return fail('INVALID_PAYLOAD', 'sub must be 1 to 128 characters from A-Z a-z 0-9 . _ @ -');
  return ok({ sub: value });
}

function kick(payload: unknown): Result<KickPayload> {
  const one = exactlyOne(payload, ['sub', 'uri']);
  if (!one.ok) return one;
  const [key, value] = one.value;
  if (key === 'uri') return parsePcpUri(value) ? ok({ uri: value }) : fail('INVALID_PAYLOAD', 'uri must be a PCP client URI, pcp://<name>/<type>');
  if (!SUBJECT_PATTERN.test(value)) return fail('INVALID_PAYLOAD', 'sub must be 1 to 128 characters from A-Z a-z 0-9 . _ @ -');
  return ok({ sub: value });
}

function topicAndBrewer(payload: unknown): Result<{ topic: string; brewer: unknown }> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return fail('INVALID_PAYLOAD', 'the payload must be an object {topic, brewer}');
  const { topic, brewer, ...rest } = payload as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return fail('INVALID_PAYLOAD', `unknown key "${extra}"`);
  const segments = parseTopic(topic, { wildcards: false });
  if (!segments.ok) return segments;
  return ok({ topic: topic as string, brewer });
}

function staticBrewer(payload: unknown): Result<StaticBrewerPayload> {
  const parts = topicAndBrewer(payload);
  if (!parts.ok) return parts;
  if (!brewerSchema.safeParse(parts.value.brewer).success) return fail('INVALID_PAYLOAD', 'brewer must be an object with a uuid string of 1 to 128 characters');
  return ok({ topic: parts.value.topic, brewer: parts.value.brewer as Brewer });
}

function staticUnregister(payload: unknown): Result<StaticUnregisterPayload> {
  const parts = topicAndBrewer(payload);
  if (!parts.ok) return parts;
  const { brewer } = parts.value;
  if (!uuidSchema.safeParse(brewer).success && !brewerSchema.safeParse(brewer).success) {
    return fail('INVALID_PAYLOAD', 'brewer must be a uuid string or the registered brewer object');
  }
  return ok({ topic: parts.value.topic, brewer: brewer as string | Brewer });
}

/** Every command this server knows, by PuppetDB's name (the underscored form is the same command). */
export const COMMANDS = {
  'revoke token': { versions: [1], validate: revocation },
  'unrevoke token': { versions: [1], validate: revocation },
  'kick client': { versions: [1], validate: kick },
  'register static brewer': { versions: [1], validate: staticBrewer },
  'unregister static brewer': { versions: [1], validate: staticUnregister },
} as const satisfies Record<string, CommandSpec<unknown>>;

export type CommandName = keyof typeof COMMANDS;

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/** A command as queued and processed: its canonical name, version and validated payload. */
export type Command =
  | { command: 'revoke token' | 'unrevoke token'; version: number; payload: RevocationPayload }
  | { command: 'kick client'; version: number; payload: KickPayload }
  | { command: 'register static brewer'; version: number; payload: StaticBrewerPayload }
  | { command: 'unregister static brewer'; version: number; payload: StaticUnregisterPayload };

/** `revoke_token` → `revoke token`; undefined for a command we do not know. */
export function commandNameOf(name: string): CommandName | undefined {
  const spaced = name.replace(/_/g, ' ');
  return Object.hasOwn(COMMANDS, spaced) ? (spaced as CommandName) : undefined;
}

/**
 * A command object's text → a command, checked in the order of protocol/admin.md (ADM-CMD-1):
 * JSON, shape, known command, known version, payload. Every failure is INVALID_PAYLOAD with the
 * sentence the API answers.
 */
export function parseCommand(text: string): Result<Command> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('INVALID_PAYLOAD', 'the command is not valid JSON');
  }
  return validateCommand(value);
}

/** A command object already parsed from JSON (a re-queued dead letter, say) → a command. */
export function validateCommand(value: unknown): Result<Command> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('INVALID_PAYLOAD', 'the command must be a JSON object');
  const object = value as Record<string, unknown>;
  for (const key of ['command', 'version', 'payload']) if (!Object.hasOwn(object, key)) return fail('INVALID_PAYLOAD', `missing field "${key}"`);
  const { command, version, payload } = object;
  if (typeof command !== 'string') return fail('INVALID_PAYLOAD', '"command" must be a string');
  if (typeof version !== 'number' || !Number.isSafeInteger(version)) return fail('INVALID_PAYLOAD', '"version" must be an integer');
  const name = commandNameOf(command);
  if (name === undefined) return fail('INVALID_PAYLOAD', `Unknown command ${JSON.stringify(command.slice(0, 64))}. Known commands: ${COMMAND_NAMES.join(', ')}.`);
  const spec: CommandSpec<unknown> = COMMANDS[name];
  if (!spec.versions.includes(version)) {
    return fail('INVALID_PAYLOAD', `Version ${version} of command "${name}" is not supported. Supported versions: ${spec.versions.join(', ')}.`);
  }
  if (nestsDeeperThan(payload, MAX_PAYLOAD_DEPTH)) {
    return fail('INVALID_PAYLOAD', `Invalid payload for command "${name}" version ${version}: nested more than ${MAX_PAYLOAD_DEPTH} levels deep`);
  }
  const checked = spec.validate(payload);
  if (!checked.ok) return fail('INVALID_PAYLOAD', `Invalid payload for command "${name}" version ${version}: ${checked.error.detail ?? 'invalid'}`);
  return ok({ command: name, version, payload: checked.value } as Command);
}
