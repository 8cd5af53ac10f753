import { matchesPcpUri, type PcpUriPattern } from '../../protocol/pcpUri.js';
import { MessageType } from '../../protocol/pcp/message.js';
import type { Session } from '../sessions/session.js';
import { fromBroker } from './brokerMessages.js';
import type { UriDirectory } from './uriDirectory.js';

export interface InventoryChange {
  client: string;
  change: 1 | -1;
}

interface Subscriber {
  patterns: PcpUriPattern[];
  /** Position in the change log from which this subscriber has not been told yet. */
  cursor: number;
}

/**
 * Inventory subscriptions. Connects and disconnects (applied URI changes) go to one ordered log;
 * every `batchMs` each subscriber gets one inventory_update with its matching changes since it was
 * last told, in order, and nothing when none match. Batching on an interval (not per change)
 * bounds the messages a flapping fleet can cause; the timer runs only while someone subscribes.
 */
export class Inventory {
  private log: InventoryChange[] = [];
  /** Absolute index of log[0]: cursors survive log trimming. */
  private logStart = 0;
  private readonly subscribers = new Map<Session, Subscriber>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly uris: UriDirectory,
    private readonly batchMs: number,
  ) {}

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  connected(uri: string): void {
    this.record({ client: uri, change: 1 });
  }

  disconnected(uri: string): void {
    this.record({ client: uri, change: -1 });
  }

  /** Connected URIs matching any pattern and visible to the asker, sorted. */
  query(patterns: readonly PcpUriPattern[], visible: (uri: string) => boolean): string[] {
    const out: string[] = [];
    for (const uri of this.uris.connected()) if (visible(uri) && patterns.some((p) => matchesPcpUri(p, uri))) out.push(uri);
    return out.sort();
  }

  /** From now on; changes before this call are in the response the caller just sent. */
  subscribe(session: Session, patterns: PcpUriPattern[]): void {
    this.subscribers.set(session, { patterns, cursor: this.logStart + this.log.length });
    this.timer ??= setInterval(() => this.flush(), this.batchMs);
    this.timer.unref();
  }

  unsubscribe(session: Session): void {
    this.subscribers.delete(session);
    if (this.subscribers.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.logStart += this.log.length;
    this.log = [];
  }

  /** Sends every subscriber its pending changes; exported for tests that drive time by hand. */
  flush(): void {
    // Take the batch first: a send below may end a session, whose -1 then goes to the next batch
    // instead of being wiped with this one.
    const batch = this.log;
    const batchStart = this.logStart;
    const end = batchStart + batch.length;
    this.log = [];
    this.logStart = end;
    for (const [session, subscriber] of this.subscribers) {
      if (session.closed) continue;
      const grants = session.identity?.grants;
      const changes = batch
        .slice(Math.max(0, subscriber.cursor - batchStart))
        .filter((c) => subscriber.patterns.some((p) => matchesPcpUri(p, c.client)) && grants?.canSeeInventory(c.client));
      subscriber.cursor = end;
      if (changes.length > 0) fromBroker(session, MessageType.INVENTORY_UPDATE, { changes });
    }
  }

  private record(change: InventoryChange): void {
    // With no subscriber nobody will read the log: keep it empty.
    if (this.subscribers.size > 0) this.log.push(change);
    else this.logStart += 1;
  }
}
