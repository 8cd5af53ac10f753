import type { CliIo } from './io.js';
import type { FlagValues } from './options.js';
import { UsageError } from './usageError.js';

/** The token of a command that talks to a server (watch, run, admin): --token, else PUBKEEPER_TOKEN; required. */
export function tokenFlag(values: FlagValues, io: CliIo): string {
  const given = values.token;
  const token = (typeof given === 'string' ? given : (io.env.PUBKEEPER_TOKEN ?? '')).trim();
  if (token === '') throw new UsageError('missing --token JWT (or env PUBKEEPER_TOKEN)');
  return token;
}

/** The server URL as typed: --url, else PUBKEEPER_URL, else the command's default. */
export function urlFlag(values: FlagValues, io: CliIo, fallback: string): string {
  const given = values.url;
  return typeof given === 'string' ? given : (io.env.PUBKEEPER_URL ?? fallback);
}
