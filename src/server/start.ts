import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/logger.js';
import { configSchema, type Config } from '../config/schema.js';
import { ensureDevKeys, loadKeyDir } from './keyFiles.js';
import { PubkeeperServer } from './pubkeeperServer.js';
import { loadTls } from './tls/tlsSettings.js';

/** The one key directory `serve` fills with development keys when it is missing or empty. */
const DEFAULT_KEYS = configSchema.parse({}).keys;

export interface StartOptions {
  config: Config;
  logger: Logger;
  /** Log lines the logger's destination dropped so far, for `pubkeeper_log_lines_dropped_total`. */
  logDrops?: () => number;
}

export interface StartedServer {
  server: PubkeeperServer;
  address: AddressInfo;
}

/**
 * Loads (or, when the directory has none, generates) the keys, listens, and logs the line that
 * carries the real port.
 */
export async function startServer({ config, logger, logDrops }: StartOptions): Promise<StartedServer> {
  // The TLS files first: a bad one is reported before anything is created (dev keys included).
  const tls = loadTls(config);
  // Only the default directory is made with development keys: a mistyped --keys must not be.
  if (config.keys !== DEFAULT_KEYS && !existsSync(config.keys)) {
    throw new Error(`key directory ${config.keys} does not exist; create keys there with "pubkeeper keygen --dir ${config.keys}"`);
  }
  const dev = ensureDevKeys(config.keys);
  if (dev.created) {
    logger.warn({ dir: config.keys, files: dev.files }, 'no key found: generated a development key pair (not for production)');
  }
  const keys = loadKeyDir(config.keys);
  const server = new PubkeeperServer({ config, logger, keyring: { keys: keys.verification }, logDrops, tls });
  logger.info(`mint a token with: npx pubkeeper token --keys ${config.keys} --sub NAME --right all`);
  const address = await server.listen();
  const tlsNote = server.secure ? ' (TLS)' : '';
  if (server.relay) {
    const relay = server.relay.address();
    logger.info({ host: relay.address, relayPort: relay.port, tls: server.secure }, `brew relay listening on ${relay.address}:${relay.port}${tlsNote}`);
  }
  // Last, so whoever waits for it (a supervisor, a test) has every line of the start before it.
  logger.info(
    {
      host: address.address,
      port: address.port,
      tls: server.secure,
      clientCertificates: config.tlsCa !== undefined,
      keys: keys.verification.map((k) => `${k.kid} (${k.alg})`),
    },
    `listening on ${address.address}:${address.port}${tlsNote}`,
  );
  return { server, address };
}
