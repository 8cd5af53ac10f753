// In-memory hub and connections for benchmarks: the core's hot paths without sockets.
import type { Connection, Frame } from '../src/core/connection.js';
import { Hub } from '../src/core/hub.js';
import { silentLogger } from '../src/core/logger.js';
import type { Identity } from '../src/core/auth/verifyToken.js';
import { parseRights } from '../src/core/auth/rights.js';
import { loadConfig } from '../src/config/load.js';

/** Counts what it would send; a real socket would copy the bytes out. */
export class CountingConnection implements Connection {
  frames = 0;
  bytes = 0;
  bufferedAmount = 0;
  send(frame: Frame): void {
    this.frames++;
    this.bytes += frame.data.length;
  }
  /** What the baselines "send": a string, counted as the old string seam counted it. */
  sendText(text: string): void {
    this.frames++;
    this.bytes += text.length;
  }
  close(): void {}
}

export function benchHub(): Hub {
  const config = loadConfig({ flags: { maxSubscriptionsPerSession: 1_000_000, maxBrewersPerSession: 1_000_000 } });
  return new Hub(config, { keys: [] }, silentLogger);
}

/** An identity with every right, without a token round trip. */
export function allRights(sub: string): Identity {
  const grants = parseRights(['all']);
  if (!grants.ok) throw grants.error;
  return { sub, grants: grants.value, tokenLength: 0, tokenDigest: '' };
}
