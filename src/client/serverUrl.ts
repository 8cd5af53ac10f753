import { PubkeeperError } from '../protocol/errors.js';

/**
 * The server URL checked before any socket is opened: a URL that cannot be parsed, or whose scheme
 * is not ws: or wss:, can never connect, so it fails at once (INVALID_URL) instead of being
 * retried. Returns the error, or undefined for a usable URL.
 */
export function invalidServerUrl(url: unknown): PubkeeperError | undefined {
  if (typeof url !== 'string') return new PubkeeperError('INVALID_URL', `the server URL must be a string, not ${typeof url}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return new PubkeeperError('INVALID_URL', `${JSON.stringify(url)} is not a URL (expected ws://host:port or wss://host:port)`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    return new PubkeeperError('INVALID_URL', `${JSON.stringify(url)} is not a ws:// or wss:// URL`);
  }
  return undefined;
}
