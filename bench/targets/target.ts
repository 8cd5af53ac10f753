// A system under the fan-out benchmarks: a server process and how the load generator subscribes to
// it and publishes through it. Ours and every baseline and peer are one of these, fed the same
// payload size and measured the same way.
import type { Server } from '../servers/launch.js';

export interface FanoutPublisher {
  /**
   * The bytes that make the server tell every subscriber one event: a brewer `id` registered
   * (`add`) or unregistered; for the baselines and peers, a publish of the payload either way.
   */
  event(add: boolean, id: number): Buffer;
  write(bytes: Buffer): void;
}

export interface FanoutTarget {
  readonly label: string;
  readonly server: Server;
  /** Opens one subscriber; resolves once the server has its subscription. */
  subscribe(onDelivery: () => void): Promise<void>;
  publisher(): Promise<FanoutPublisher>;
  /** Closes every client it opened and stops the server. */
  close(): Promise<void>;
}

export interface TargetSpec {
  /** Short name for --only style filters and for result keys. */
  readonly key: TargetKey;
  readonly label: string;
  /** Why it cannot run here (its binary is absent), or null. */
  unavailable(): string | null;
  /** Starts the server; every payload the subscribers receive is `payloadBytes` long. */
  start(payloadBytes: number): Promise<FanoutTarget>;
  /** Connections a subscriber opens at most at a time (a peer's listen backlog may be short). */
  readonly connectConcurrency: number;
}

export type TargetKey = 'pubkeeper' | 'rawBroadcast' | 'coalescedRaw' | 'nats' | 'mosquitto';

/** The topic every event is about and the brewer object ours announces (BREWER_NOTIFY). */
export const EVENT_TOPIC = 'bench.kitchen.temp';

export function brewerUuid(id: number): string {
  return `b-${String(id).padStart(6, '0')}`;
}

export function brewerObject(id: number): Record<string, unknown> {
  return { uuid: brewerUuid(id), hostname: '10.0.0.7', port: 9899, protocol: 'udp', meta: { zone: 'eu' } };
}

/** Our BREWER_NOTIFY frame for a brewer of the suite, as the server writes it: the payload size every system is fed. */
export function notifyFrame(id = 0): Buffer {
  return Buffer.from(JSON.stringify([12, { topic: EVENT_TOPIC, brewer: brewerObject(id) }]));
}
