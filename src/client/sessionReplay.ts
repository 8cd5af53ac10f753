// Applies the recorded requests to a session: all of them on each new session, one at a time while
// live, reconciling each subscription's snapshot with the brewers we knew before.
import { closedError, requestError, type DiscoveryClientError } from './discoveryErrors.js';
import type { BrewerChange, KnownBrewers } from './reconcile.js';
import type { RecordedRequests, Waiter } from './recordedRequests.js';
import type { Attempt } from './reconnectLoop.js';
import type { TransportSession } from './transports.js';

/** What the replay needs from the client. */
export interface ReplayHost {
  /** The attempt is still the current one and the client is not closing. */
  alive(attempt: Attempt): boolean;
  closing(): boolean;
  report(changes: readonly BrewerChange[]): void;
  reportError(error: DiscoveryClientError): void;
}

export class SessionReplay {
  constructor(
    private readonly requests: RecordedRequests,
    private readonly known: KnownBrewers,
    private readonly host: ReplayHost,
  ) {}

  /**
   * Every registration and subscription again, pipelined. Snapshots are collected beside what we
   * knew and reconciled as each subscribe is acknowledged.
   */
  async all(attempt: Attempt, session: TransportSession): Promise<void> {
    const patterns = [...this.requests.subscriptions.keys()];
    for (const pattern of patterns) this.known.beginSnapshot(pattern);
    await Promise.all([
      ...[...this.requests.registrations.keys()].map((key) => this.registration(attempt, session, key)),
      ...patterns.map((pattern) => this.applySubscription(attempt, session, pattern)),
    ]);
  }

  /** Never rejects: a refusal rejects the callers (or is reported); a lost session leaves the wish for the next replay. */
  async registration(attempt: Attempt, session: TransportSession, key: string): Promise<void> {
    const { registrations } = this.requests;
    const entry = registrations.get(key);
    if (!entry || !this.host.alive(attempt)) return;
    const waiters = entry.waiters.splice(0);
    try {
      await session.registerBrewer(entry.topic, entry.brewer);
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      if (!this.host.alive(attempt) || session.closed) return this.defer(waiters, registrations.get(key)?.waiters);
      if (registrations.get(key) === entry) registrations.delete(key);
      this.fail(waiters, requestError('registerBrewer', entry.topic, error));
    }
  }

  /** A pattern subscribed on the live session: its snapshot begins now. Never rejects. */
  async newSubscription(attempt: Attempt, session: TransportSession, pattern: string): Promise<void> {
    if (!this.requests.subscriptions.has(pattern)) return;
    this.known.beginSnapshot(pattern);
    await this.applySubscription(attempt, session, pattern);
  }

  /** Like `registration`; the caller has begun the pattern's snapshot. */
  private async applySubscription(attempt: Attempt, session: TransportSession, pattern: string): Promise<void> {
    const { subscriptions } = this.requests;
    const subscription = subscriptions.get(pattern);
    if (!subscription || !this.host.alive(attempt)) return;
    const waiters = subscription.waiters.splice(0);
    try {
      await session.subscribe(pattern);
      if (!this.host.alive(attempt)) return this.defer(waiters, subscriptions.get(pattern)?.waiters);
      if (subscriptions.get(pattern) === subscription) {
        subscription.applied = true;
        this.host.report(this.known.endSnapshot(pattern));
      }
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      if (!this.host.alive(attempt) || session.closed) return this.defer(waiters, subscriptions.get(pattern)?.waiters);
      if (subscriptions.get(pattern) === subscription) {
        subscriptions.delete(pattern);
        this.host.report(this.known.forget(pattern));
      }
      this.fail(waiters, requestError('subscribe', pattern, error));
    }
  }

  /** The session ended before an answer: hand the callers to the wish's next replay, or settle them. */
  private defer(waiters: Waiter[], into: Waiter[] | undefined): void {
    if (this.host.closing()) for (const waiter of waiters) waiter.reject(closedError());
    else if (into) into.push(...waiters);
    else for (const waiter of waiters) waiter.resolve(); // withdrawn meanwhile: nothing left to wait for
  }

  private fail(waiters: Waiter[], error: DiscoveryClientError): void {
    if (waiters.length === 0) this.host.reportError(error);
    for (const waiter of waiters) waiter.reject(error);
  }
}
