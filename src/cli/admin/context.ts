import { tokenFlag, urlFlag } from '../clientFlags.js';
import type { CliIo } from '../io.js';
import type { FlagValues } from '../options.js';
import { UsageError } from '../usageError.js';
import { AdminApi } from './api.js';

export const DEFAULT_URL = 'http://127.0.0.1:9898';
export const DEFAULT_TIMEOUT_MS = 10000;

export type Values = FlagValues;

/** What a subcommand works with once its flags are read. */
export interface AdminContext {
  readonly api: AdminApi;
  readonly io: CliIo;
  readonly json: boolean;
  readonly timeoutMs: number;
  readonly values: Values;
}

/**
 * Everything a subcommand's flags (its own and the admin command's, declared in admin.ts) imply,
 * so every usage error is raised before the first request.
 */
export function context(values: Values, io: CliIo): AdminContext {
  const timeoutMs = positiveInteger(values['timeout-ms'], '--timeout-ms') ?? DEFAULT_TIMEOUT_MS;
  const base = baseUrl(urlFlag(values, io, DEFAULT_URL));
  const token = tokenFlag(values, io);
  if (/\s/.test(token)) throw new UsageError('--token must be one JWT, without spaces');
  // A short wait for the outcome must not cut the submission itself short: it might be queued
  // without the CLI learning its uuid. Each request gets at least the default.
  const requestMs = Math.max(timeoutMs, DEFAULT_TIMEOUT_MS);
  return { api: new AdminApi(base, token, requestMs), io, json: values.json === true, timeoutMs, values };
}

export function stringFlag(value: Values[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A flag that must be a whole number above 0, or undefined when it was not given. */
export function positiveInteger(value: Values[string], flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number <= 0) throw new UsageError(`${flag} must be a whole number above 0, not "${String(value)}"`);
  return number;
}

/**
 * The server's base URL, always ending in `/`. ws:// and wss:// are taken as http:// and
 * https://, so the PUBKEEPER_URL a `watch` uses serves here too.
 */
function baseUrl(text: string): URL {
  if (text === '') throw new UsageError('missing --url http://HOST:PORT (or env PUBKEEPER_URL)');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url "${text}" is not a URL; give http://HOST:PORT`);
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') url = new URL(text.replace(/^ws/i, 'http'));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http:// or https://, not ${url.protocol}//`);
  if (url.search !== '' || url.hash !== '') throw new UsageError('--url must not have a query or a fragment');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** JSON on stdout, indented for a person reading it and still one value for jq. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
