import { UsageError } from './usageError.js';

/** What the client commands connect to when neither --url nor PUBKEEPER_URL says. */
export const DEFAULT_SERVER_URL = 'ws://127.0.0.1:9898';

/**
 * The server's base WebSocket URL from what a user types: `ws://h:p`, `wss://h:p`, or `http(s)://`
 * (the same server), with or without a trailing `/ws`; `flag` names the flag in the error.
 */
export function serverBaseUrl(text: string, flag = '--url'): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} ${text} is not a URL (ws://HOST:PORT)`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UsageError(`${flag} ${text} is not a ws:// or http:// URL`);
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/ws$/, '');
  url.search = '';
  url.hash = '';
  return url;
}

/** The same URL with `path` (`/ws`, `/pcp/v2.0/controller`) appended to its base path. */
export function withPath(base: URL, path: string): string {
  const url = new URL(base);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  return url.toString();
}
