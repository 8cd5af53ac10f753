// Shared by the DiscoveryClient integration suites: a client closed when the test ends, awaiting its
// events, a latch, and the two transports every behaviour is checked over.
import { onTestFinished } from 'vitest';
import { DiscoveryClient, type DiscoveryClientEvents, type DiscoveryClientOptions } from '../../src/client/discoveryClient.js';
import { pcpTransport, pubkeeperTransport, type DiscoveryTransport } from '../../src/client/transports.js';
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
