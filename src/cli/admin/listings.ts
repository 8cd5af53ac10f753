import type { CommandRecord } from '../../server/admin/commandStore.js';
import type { SessionEntry, TopicEntry } from '../../server/admin/readApi.js';
import type { CliIo } from '../io.js';
import type { FlagValues } from '../options.js';
import { UsageError } from '../usageError.js';
import { report, waitFor } from './commands.js';
import { context, positiveInteger, printJson, stringFlag, type AdminContext } from './context.js';
import { block, table } from './table.js';

/** `sessions [--limit N]` [ADM-READ-1] */
export async function sessions(values: FlagValues, io: CliIo): Promise<number> {
  const ctx = context(values, io);
  const all = await pages<SessionEntry>(ctx, 'admin/sessions', 'sessions');
  if (ctx.json) printJson(io, all);
  else io.stdout(table(['ID', 'SUB', 'DIALECT', 'URI', 'REMOTE', 'CONNECTED SINCE', 'BREWERS', 'SUBSCRIPTIONS'], all.map(sessionRow), 'no sessions'));
  return 0;
}

/** `topics [--limit N]` [ADM-READ-2] */
export async function topics(values: FlagValues, io: CliIo): Promise<number> {
  const ctx = context(values, io);
  const all = await pages<TopicEntry>(ctx, 'admin/topics', 'topics');
  if (ctx.json) printJson(io, all);
  else io.stdout(table(['TOPIC', 'BREWERS', 'SUBSCRIBERS'], all.map(topicRow), 'no topics'));
  return 0;
}

/** `commands [--uuid U] [--limit N]` [ADM-CMD-4] */
export async function commands(values: FlagValues, io: CliIo): Promise<number> {
  const ctx = context(values, io);
  const uuid = stringFlag(ctx.values.uuid);
  if (uuid !== undefined) {
    const record = (await ctx.api.call('GET', `commands/${encodeURIComponent(uuid)}`, { notFound: `no command ${uuid}` })) as CommandRecord;
    if (ctx.json) printJson(io, record);
    else io.stdout(recordBlock(record));
    return 0;
  }
  const limit = positiveInteger(ctx.values.limit, '--limit');
  const answer = await ctx.api.call('GET', limit === undefined ? 'commands' : `commands?limit=${limit}`);
  const list = arrayOf<CommandRecord>(answer, 'commands');
  if (ctx.json) printJson(io, list);
  else io.stdout(table(['UUID', 'COMMAND', 'VERSION', 'STATUS', 'RECEIVED', 'ERROR'], list.map((r) => [r.uuid, r.command, r.version, r.status, r.received, r.error]), 'no commands'));
  return 0;
}

/** `discarded [--requeue U | --delete U]` [ADM-CMD-5] */
export async function discarded(values: FlagValues, io: CliIo): Promise<number> {
  const ctx = context(values, io);
  const requeue = stringFlag(ctx.values.requeue);
  const remove = stringFlag(ctx.values.delete);
  if (requeue !== undefined && remove !== undefined) throw new UsageError('give at most one of --requeue and --delete');
  if (requeue !== undefined) return requeueOne(ctx, requeue);
  if (remove !== undefined) return deleteOne(ctx, remove);
  const list = arrayOf<CommandRecord>(await ctx.api.call('GET', 'commands/discarded'), 'discarded');
  if (ctx.json) printJson(io, list);
  else io.stdout(table(['UUID', 'COMMAND', 'VERSION', 'FAILED AT', 'REASON'], list.map((r) => [r.uuid, r.command, r.version, r.finished, r.error]), 'no discarded commands'));
  return 0;
}

/** A dead letter back in the queue; like a submitted command, its outcome is waited for. */
async function requeueOne(ctx: AdminContext, uuid: string): Promise<number> {
  await ctx.api.call('POST', `commands/discarded/${encodeURIComponent(uuid)}/requeue`, { notFound: `no discarded command ${uuid}` });
  if (ctx.values['no-wait'] === true) {
    if (ctx.json) printJson(ctx.io, { uuid });
    else ctx.io.stdout(`requeued ${uuid}\n`);
    return 0;
  }
  return report(ctx, await waitFor(ctx, uuid));
}

async function deleteOne(ctx: AdminContext, uuid: string): Promise<number> {
  await ctx.api.call('DELETE', `commands/discarded/${encodeURIComponent(uuid)}`, { notFound: `no discarded command ${uuid}` });
  if (ctx.json) printJson(ctx.io, { uuid });
  else ctx.io.stdout(`deleted ${uuid}\n`);
  return 0;
}

/**
 * Every page of a read API listing, following `next` until it is null. A server that hands back
 * the cursor it was given would loop forever: that ends the listing instead.
 */
async function pages<T>(ctx: AdminContext, path: string, key: string): Promise<T[]> {
  const limit = positiveInteger(ctx.values.limit, '--limit');
  const all: T[] = [];
  let after: number | null = 0;
  while (after !== null) {
    const query = new URLSearchParams({ after: String(after), ...(limit === undefined ? {} : { limit: String(limit) }) });
    const answer = await ctx.api.call('GET', `${path}?${query.toString()}`);
    all.push(...arrayOf<T>(answer, key));
    const next = (answer as { next?: unknown }).next;
    after = typeof next === 'number' && next !== after ? next : null;
  }
  return all;
}

function arrayOf<T>(answer: unknown, key: string): T[] {
  const list = (answer as Record<string, unknown> | null)?.[key];
  return Array.isArray(list) ? (list as T[]) : [];
}

function sessionRow(s: SessionEntry): unknown[] {
  // 1.x patrons are that dialect's subscriptions: counted with them.
  return [s.id.slice(0, 8), s.sub, s.dialect, s.uri, s.remoteAddress, s.connectedSince, s.brewers, s.subscriptions.length + s.patrons.length];
}

function topicRow(t: TopicEntry): unknown[] {
  const brewers = t.brewers.map((b) => (b.static ? `${b.uuid} (static)` : `${b.uuid}@${b.sub ?? '?'}`)).join(', ');
  return [t.topic, brewers, t.subscribers];
}

function recordBlock(r: CommandRecord): string {
  return block([
    ['uuid', r.uuid],
    ['command', r.command],
    ['version', r.version],
    ['status', r.status],
    ['received', r.received],
    ['finished', r.finished],
    ['payload', r.payload],
    ['result', r.result],
    ['error', r.error],
    ...r.attempts.map((a, i) => [`attempt ${i + 1}`, `${a.at} ${a.error}`] as const),
  ]);
}
