import { setTimeout as delay } from 'node:timers/promises';
import type { CommandRecord } from '../../server/admin/commandStore.js';
import type { CliIo } from '../io.js';
import type { FlagValues } from '../options.js';
import { UsageError } from '../usageError.js';
import { AdminFailure } from './api.js';
import { context, printJson, stringFlag, type AdminContext, type Values } from './context.js';
import { plural, printable } from './table.js';

/** How often the outcome of a submitted command is asked for. */
const POLL_MS = 100;

type Payload = Record<string, unknown>;

/** `revoke --jti J | --sub S` [ADM-REVOKE-1] */
export function revoke(values: FlagValues, io: CliIo): Promise<number> {
  const ctx = context(values, io);
  return submit(ctx, 'revoke token', exactlyOne(ctx.values, ['jti', 'sub']));
}

/** `unrevoke --jti J | --sub S` [ADM-REVOKE-2] */
export function unrevoke(values: FlagValues, io: CliIo): Promise<number> {
  const ctx = context(values, io);
  return submit(ctx, 'unrevoke token', exactlyOne(ctx.values, ['jti', 'sub']));
}

/** `kick --sub S | --uri U` [ADM-KICK-1] */
export function kick(values: FlagValues, io: CliIo): Promise<number> {
  const ctx = context(values, io);
  return submit(ctx, 'kick client', exactlyOne(ctx.values, ['sub', 'uri']));
}

/** `static-brewer --topic T --brewer JSON [--remove]` [ADM-STATIC-1] [ADM-STATIC-2] */
export function staticBrewer(values: FlagValues, io: CliIo): Promise<number> {
  const ctx = context(values, io);
  const topic = stringFlag(ctx.values.topic);
  if (topic === undefined) throw new UsageError('missing --topic T');
  const text = stringFlag(ctx.values.brewer);
  if (text === undefined) throw new UsageError('missing --brewer JSON');
  const remove = ctx.values.remove === true;
  // Removing takes the uuid alone as well as the registered object.
  const brewer = remove && !text.trimStart().startsWith('{') ? text : brewerObject(text);
  return submit(ctx, remove ? 'unregister static brewer' : 'register static brewer', { topic, brewer });
}

/**
 * POST /commands, then (unless --no-wait) the outcome. [ADM-CMD-1] [ADM-CMD-4]
 */
async function submit(ctx: AdminContext, command: string, payload: Payload): Promise<number> {
  const answer = await ctx.api.call('POST', 'commands', { body: { command, version: 1, payload } });
  const uuid = uuidOf(answer);
  if (ctx.values['no-wait'] === true) {
    if (ctx.json) printJson(ctx.io, { uuid });
    else ctx.io.stdout(`${uuid}\n`);
    return 0;
  }
  return report(ctx, await waitFor(ctx, uuid));
}

/**
 * Polls GET /commands/<uuid> until the command is done or failed. Past --timeout-ms the CLI gives
 * up waiting, which changes nothing on the server: the command stays queued.
 */
export async function waitFor(ctx: AdminContext, uuid: string): Promise<CommandRecord> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const record = (await ctx.api.call('GET', `commands/${encodeURIComponent(uuid)}`, { notFound: `no command ${uuid}` })) as CommandRecord;
    if (record.status === 'done' || record.status === 'failed') return record;
    const left = deadline - Date.now();
    if (left <= 0) throw new AdminFailure(`still ${record.status} after ${ctx.timeoutMs} ms: ${uuid}`);
    await delay(Math.min(POLL_MS, left));
  }
}

/** A finished command: its summary (or record) on stdout when done; its reason on stderr and 1 when failed. */
export function report(ctx: AdminContext, record: CommandRecord): number {
  if (ctx.json) printJson(ctx.io, record);
  if (record.status === 'failed') throw new AdminFailure(`command ${record.uuid} failed: ${record.error ?? 'no reason given'}`);
  if (!ctx.json) ctx.io.stdout(`${summary(record)}\n`);
  return 0;
}

/** One line saying what a done command did, from its payload and result. */
export function summary(record: CommandRecord): string {
  // Uuids and topics are the admin's own input, but a newline in one must not make two lines.
  return printable(describe(record));
}

function describe(record: CommandRecord): string {
  const payload = record.payload as unknown as Payload;
  switch (record.command) {
    case 'revoke token':
      return `revoked ${target(payload)}: ${plural(count(record.result, 'closed'), 'session')} closed`;
    case 'unrevoke token':
      return isLifted(record.result) ? `unrevoked ${target(payload)}` : `${target(payload)} was not revoked: nothing to do`;
    case 'kick client':
      return `kicked ${target(payload)}: ${plural(count(record.result, 'kicked'), 'session')} closed`;
    case 'register static brewer':
      return `registered static brewer ${brewerUuid(payload)} on ${String(payload.topic)}`;
    case 'unregister static brewer':
      return `unregistered static brewer ${brewerUuid(payload)} from ${String(payload.topic)}`;
    default:
      return `${String(record.command)} ${record.uuid}: done`;
  }
}

/** `sub bob`, `jti 42`, `uri pcp://a/agent`: the one key of a revocation or kick payload. */
function target(payload: Payload): string {
  const [key, value] = Object.entries(payload)[0] ?? ['?', '?'];
  return `${key} ${String(value)}`;
}

function brewerUuid(payload: Payload): string {
  const brewer = payload.brewer;
  return typeof brewer === 'string' ? brewer : String((brewer as Payload | null)?.uuid);
}

function count(result: unknown, key: string): number {
  const value = (result as Payload | undefined)?.[key];
  return typeof value === 'number' ? value : 0;
}

function isLifted(result: unknown): boolean {
  return (result as Payload | undefined)?.lifted !== false;
}

/** The payload `{key: value}` of the one flag given among two. */
function exactlyOne(values: Values, keys: readonly [string, string]): Payload {
  const given = keys.filter((key) => values[key] !== undefined);
  const [key] = given;
  if (given.length !== 1 || key === undefined) throw new UsageError(`give exactly one of --${keys[0]} and --${keys[1]}`);
  return { [key]: values[key] };
}

function brewerObject(text: string): Payload {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`--brewer is not valid JSON: ${printable(text)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('--brewer must be a JSON object such as {"uuid":"b1"}');
  return value as Payload;
}

function uuidOf(answer: unknown): string {
  const uuid = (answer as { uuid?: unknown } | null)?.uuid;
  if (typeof uuid !== 'string') throw new AdminFailure('the server answered without a command uuid');
  return uuid;
}
