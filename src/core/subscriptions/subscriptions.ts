import type { Session, Subscription } from '../sessions/session.js';
import type { Pattern } from '../topics/pattern.js';
import { SubscriptionIndex } from '../topics/subscriptionIndex.js';

/**
 * This node's subscriptions, indexed by pattern. They never leave the node: a SUBSCRIBE reads the
 * local copy of the registry, then joins this index, in one synchronous step.
 */
export class Subscriptions {
  private readonly index = new SubscriptionIndex<Subscription>();
  /** Tells one `forEachSession` call from the last, for the per-session dedupe. */
  private stamp = 0;

  get size(): number {
    return this.index.size;
  }

  add(session: Session, pattern: Pattern): void {
    const subscription: Subscription = { session, pattern };
    session.subscriptions.set(pattern.source, subscription);
    this.index.add(pattern, subscription);
    session.updated();
  }

  drop(subscription: Subscription): void {
    this.remove(subscription);
    subscription.session.updated();
  }

  /** A session ended: all of its subscriptions go, quietly. */
  dropAll(session: Session): void {
    for (const subscription of [...session.subscriptions.values()]) this.remove(subscription);
  }

  /** How many sessions have a subscription matching the topic. */
  countMatching(topic: readonly string[]): number {
    let count = 0;
    this.forEachSession(topic, () => count++);
    return count;
  }

  private remove(subscription: Subscription): void {
    subscription.session.subscriptions.delete(subscription.pattern.source);
    this.index.remove(subscription.pattern, subscription);
  }

  /**
   * Visits each session with a subscription matching the topic, once however many of its patterns
   * match, straight from the index: no set of sessions is built per event. The dedupe stamps each
   * session with this call's number, so calls must not nest (a visit never fans out itself).
   */
  forEachSession(topic: readonly string[], visit: (session: Session) => void): void {
    const stamp = ++this.stamp;
    this.index.forEachMatch(topic, (subscription) => {
      const { session } = subscription;
      if (session.fanOutStamp === stamp) return;
      session.fanOutStamp = stamp;
      visit(session);
    });
  }
}
