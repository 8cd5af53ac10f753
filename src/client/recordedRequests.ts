// What the caller asked for (brewer registrations, subscriptions) and who still waits on each:
// recorded at once, connected or not, and kept across sessions so that every reconnect replays it.
import type { Brewer } from '../protocol/pubkeeper/packets.js';
import { brewerKey } from './reconcile.js';

export interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface Registration {
  readonly topic: string;
  readonly brewer: Brewer;
  readonly waiters: Waiter[];
}

export interface Subscription {
  readonly waiters: Waiter[];
  applied: boolean;
}

/** The registrations and subscriptions to hold on every session, keyed by topic+uuid and by pattern. */
export class RecordedRequests {
  readonly registrations = new Map<string, Registration>();
  readonly subscriptions = new Map<string, Subscription>();

  /** Records (or, with a changed object, updates) a brewer; `applied` resolves once a session applied it. */
  register(topic: string, brewer: Brewer): { key: string; applied: Promise<void> } {
    const key = brewerKey(topic, brewer.uuid);
    // Callers still waiting on an older object of this brewer are answered with the newer one.
    const entry: Registration = { topic, brewer, waiters: this.registrations.get(key)?.waiters ?? [] };
    const applied = new Promise<void>((resolve, reject) => entry.waiters.push({ resolve, reject }));
    this.registrations.set(key, entry);
    return { key, applied };
  }

  /** Forgets a brewer and resolves its waiting callers; returns what was recorded, if anything. */
  unregister(topic: string, uuid: string): Registration | undefined {
    const key = brewerKey(topic, uuid);
    const entry = this.registrations.get(key);
    this.registrations.delete(key);
    for (const waiter of entry?.waiters.splice(0) ?? []) waiter.resolve();
    return entry;
  }

  /**
   * Records a pattern. `applied` resolves once a session reported its snapshot (at once if one
   * already did); `added` is true only for a pattern not recorded before, which must be sent.
   */
  subscribe(pattern: string): { applied: Promise<void>; added: boolean } {
    const existing = this.subscriptions.get(pattern);
    if (existing?.applied) return { applied: Promise.resolve(), added: false };
    const subscription = existing ?? { waiters: [], applied: false };
    const applied = new Promise<void>((resolve, reject) => subscription.waiters.push({ resolve, reject }));
    if (existing) return { applied, added: false };
    this.subscriptions.set(pattern, subscription);
    return { applied, added: true };
  }

  /** Forgets a pattern and resolves its waiting callers; false if it was not recorded. */
  unsubscribe(pattern: string): boolean {
    const subscription = this.subscriptions.get(pattern);
    if (!subscription) return false;
    this.subscriptions.delete(pattern);
    for (const waiter of subscription.waiters.splice(0)) waiter.resolve();
    return true;
  }

  /** Rejects every caller still waiting; the requests stay recorded until `clear()`. */
  rejectAll(error: Error): void {
    for (const entry of this.registrations.values()) for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
    for (const entry of this.subscriptions.values()) for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
  }

  clear(): void {
    this.registrations.clear();
    this.subscriptions.clear();
  }
}
