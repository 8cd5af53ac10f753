import type { CommandRecord } from './commandStore.js';

/** A command record and the node (incarnation) whose queue holds it. */
export interface SharedRecord {
  readonly record: CommandRecord;
  readonly node: string;
}

/**
 * Cluster mode: every node's commands, readable from any node (CONTRACT §8: queued commands are
 * shared by every node). Each node keeps processing its own queue, in order; what others see is
 * the record it publishes at each change. Behind a load balancer a client polls
 * `GET /commands/<uuid>` wherever its request lands.
 */
export interface CommandDirectory {
  /** A record as it is now (queued, retrying, done, failed), or gone (`deleted`). Never throws. */
  publish(record: CommandRecord, deleted?: boolean): void;
  find(uuid: string): Promise<SharedRecord | undefined>;
  /** Every node's dead letters, oldest first. */
  deadLetters(limit: number): Promise<SharedRecord[]>;
}
