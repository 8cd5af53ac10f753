import { Writable } from 'node:stream';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import { PcpClient, type PcpClientOptions } from '../../src/client/pcpClient.js';
import { PubkeeperClient, type ConnectOptions } from '../../src/client/pubkeeperClient.js';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigKey } from '../../src/config/schema.js';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { PubkeeperServer } from '../../src/server/pubkeeperServer.js';
import { tempDir, tempKeys, type TestKeys } from './keys.js';

export interface TestServer {
  server: PubkeeperServer;
  url: string;
  port: number;
  keys: TestKeys;
  /** An open socket, not authenticated. Closed when the test ends. */
  connect(options?: ConnectOptions): Promise<PubkeeperClient>;
  /** An open, authenticated socket for `sub` with `rights`. */
  client(sub: string, rights?: unknown[]): Promise<PubkeeperClient>;
  /** `ws://127.0.0.1:<port>` */
  base: string;
  /** A PCP v2 client `pcp://<sub>/<type>`. Closed when the test ends. */
  pcp(sub: string, rights?: unknown[], options?: Partial<PcpClientOptions>): Promise<PcpClient>;
}

export interface TestServerOptions {
  config?: Partial<Record<ConfigKey, string | number>>;
  logger?: Logger;
}

/**
 * A real server on 127.0.0.1, port 0, torn down (with every client it handed out) when the
 * calling test finishes.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const keys = tempKeys();
  // Each server keeps its admin state in a directory of its own, removed with the others.
  const config = loadConfig({ flags: { host: '127.0.0.1', port: 0, keys: keys.dir, dataDir: tempDir(), ...options.config } });
  const server = new PubkeeperServer({
    config,
    logger: options.logger ?? silentLogger,
    keyring: { keys: keys.keys.verification },
  });
  const { port } = await server.listen();
  const url = `ws://127.0.0.1:${port}/ws`;
  const clients: { socket: { terminate(): void } }[] = [];
  onTestFinished(async () => {
    for (const c of clients) c.socket.terminate();
    await server.drain();
  });
  const base = `ws://127.0.0.1:${port}`;
  const connect = async (connectOptions?: ConnectOptions): Promise<PubkeeperClient> => {
    const c = await PubkeeperClient.connect(url, connectOptions);
    clients.push(c);
    return c;
  };
  return {
    server,
    url,
    port,
    keys,
    connect,
    base,
    pcp: async (sub, rights = ['all'], pcpOptions = {}) => {
      const c = await PcpClient.connect(base, { token: keys.mint(sub, rights), ...pcpOptions });
      clients.push(c);
      return c;
    },
    client: async (sub, rights = ['all']) => {
      const c = await connect();
      const ok = await c.authenticate(keys.mint(sub, rights));
      if (!ok) throw new Error('test client did not authenticate');
      return c;
    },
  };
}

/** A pino logger writing JSON lines into an array, for tests that read the logs. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}
