// Shared by the DiscoveryClient integration suites: a client closed when the test ends, awaiting its
// events, a latch, and the two transports every behaviour is checked over.
import { onTestFinished } from 'vitest';
import { DiscoveryClient, type DiscoveryClientEvents, type DiscoveryClientOptions } from '../../src/client/discoveryClient.js';
import { pcpTransport, pubkeeperTransport, type DiscoveryTransport } from '../../src/client/transports.js';
import { PubkeeperClient, type BrewerEventArgs } from '../../src/client/pubkeeperClient.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { PubkeeperServer } from '../../src/server/pubkeeperServer.js';
import { tempDir, tempKeys } from './keys.js';
import type { TestServer } from './server.js';

/** A DiscoveryClient closed when the test ends. */
export function discovery(options: DiscoveryClientOptions): DiscoveryClient {
  const client = new DiscoveryClient(options);
  onTestFinished(() => client.close());
  return client;
}

/** The next `event` whose arguments satisfy `pred`. The timeout only bounds a failure. */
export function next<K extends keyof DiscoveryClientEvents>(
  client: DiscoveryClient,
  event: K,
  pred: (...args: DiscoveryClientEvents[K]) => boolean = () => true,
  ms = 5000,
): Promise<DiscoveryClientEvents[K]> {
  const emitter = client as unknown as NodeJS.EventEmitter;
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      const typed = args as DiscoveryClientEvents[K];
      if (!pred(...typed)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(typed);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no ${String(event)} in ${ms} ms`));
    }, ms);
    emitter.on(event, listener);
  });
}

export function latch(): { promise: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

export interface TransportCase {
  name: string;
  url: (t: TestServer) => string;
  transport: () => DiscoveryTransport;
}

export const TRANSPORTS: TransportCase[] = [
  { name: '/ws JSON', url: (t) => t.url, transport: () => pubkeeperTransport() },
  { name: 'PCP v2', url: (t) => t.base, transport: () => pcpTransport({ type: 'discovery' }) },
];

export const FAST = { baseMs: 20, capMs: 200 };

/**
 * A second server on a fixed port (the restart), with the keys of the first so its tokens stay
 * good (the test keys are one fixed set); drained when the test ends. `prepare` runs before it
 * accepts anything.
 */
export async function restartOn(port: number, prepare: (server: PubkeeperServer) => void = () => undefined): Promise<PubkeeperServer> {
  const keys = tempKeys();
  const config = loadConfig({ flags: { host: '127.0.0.1', port, keys: keys.dir, dataDir: tempDir() } });
  const server = new PubkeeperServer({ config, logger: silentLogger, keyring: { keys: keys.keys.verification } });
  prepare(server);
  await server.listen();
  onTestFinished(() => server.drain());
  return server;
}

/** A plain SDK client on any URL, authenticated, closed when the test ends. */
export async function plainClient(url: string, token: string): Promise<PubkeeperClient> {
  const client = await PubkeeperClient.connect(url);
  onTestFinished(() => client.socket.terminate());
  if (!(await client.authenticate(token))) throw new Error('plain client did not authenticate');
  return client;
}

export type Change = { kind: 'added' | 'removed' } & BrewerEventArgs;

/** Every brewerAdded / brewerRemoved, in order; `reach(n)` resolves once `n` are recorded. */
export function recordChanges(client: DiscoveryClient): { list: Change[]; reach(n: number, ms?: number): Promise<void> } {
  const list: Change[] = [];
  const waiters = new Set<() => void>();
  const push = (change: Change): void => {
    list.push(change);
    for (const waiter of waiters) waiter();
  };
  client.on('brewerAdded', (e) => push({ kind: 'added', ...e }));
  client.on('brewerRemoved', (e) => push({ kind: 'removed', ...e }));
  const reach = (n: number, ms = 5000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (list.length < n) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`only ${list.length} of ${n} brewer changes in ${ms} ms: ${JSON.stringify(list)}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { list, reach };
}

/** Sorted by topic, for comparing changes whose order across topics is not promised. */
export const byTopic = <T extends { topic: string }>(items: readonly T[]): T[] => [...items].sort((a, b) => a.topic.localeCompare(b.topic));
