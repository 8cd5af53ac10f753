import { fail, ok, type Result } from '../protocol/errors.js';
import type { Brewer } from '../protocol/pubkeeper/packets.js';
import { parseTopic } from '../protocol/topic.js';
import type { BrewerEvent } from './brewerEvent.js';
import { BrewerRegistry } from './registry/brewerRegistry.js';
import { canonicalJson } from './registry/canonicalJson.js';
import { Registration } from './registry/registration.js';
import type { Session, Subscription } from './session.js';
import { Matchmaker } from './patrons/matchmaker.js';
import { compilePattern } from './topics/pattern.js';
import { SubscriptionIndex } from './topics/subscriptionIndex.js';

/** Counters the edge turns into metrics. */
export interface DiscoveryStats {
  notificationsSent: number;
}

/**
 * The topic registry and its subscribers, shared by every dialect. Each operation is a short list
 * of steps — validate, authorize, limit, apply, notify — and returns a coded error instead of
 * throwing. Everything runs synchronously, so a subscribe's snapshot and the live notifications
 * after it can neither overlap nor leave a gap.
 */
export class Discovery {
  readonly registry = new BrewerRegistry();
  readonly patrons = new Matchmaker(this.registry, () => this.quiet);
  private readonly index = new SubscriptionIndex<Subscription>();
  readonly stats: DiscoveryStats = { notificationsSent: 0 };
  /**
   * Set while the server drains: every session is about to close, so the removals of their
   * brewers would only tell closing subscribers something false (that brewers went away, when the
   * server did) and cost brewers × subscribers messages.
   */
  quiet = false;

  get subscriptionCount(): number {
    return this.index.size;
  }

  // [PK-REG-1] [PK-REG-4] [PK-REG-7]
  registerBrewer(session: Session, topic: unknown, brewer: Brewer): Result<void> {
    const sub = session.sub;
    if (sub === undefined) return fail('UNAUTHENTICATED');
    const segments = parseTopic(topic, { wildcards: false });
    if (!segments.ok) return segments;
    const literal = topic as string;
    if (!session.identity?.grants.canBrew(segments.value)) return fail('LACK_PERMISSIONS', `brew:${literal}`);
    const owner = this.registry.ownerOf(brewer.uuid);
    if (owner !== undefined && owner !== sub) {
      return fail('LACK_PERMISSIONS', `brewer ${brewer.uuid} belongs to another client`);
    }
    const existing = this.registry.get(literal, brewer.uuid);
    const limits = session.limits;
    // [PK-REG-6] a registration new to this session (fresh, or taken over) counts against its limit.
    if (existing?.owner !== session && session.brewers.size >= limits.maxBrewersPerSession) {
      return fail('LIMIT_EXCEEDED', `at most ${limits.maxBrewersPerSession} brewers per session`);
    }
    const canonical = canonicalJson(brewer);
    // [PK-REG-8] memory is bounded by bytes too: a count limit alone lets big objects exhaust it.
    if (canonical.length > limits.maxBrewerBytes) {
      return fail('LIMIT_EXCEEDED', `a brewer object may be at most ${limits.maxBrewerBytes} characters of JSON`);
    }
    const held = existing?.owner === session ? existing.canonical.length : 0;
    if (session.brewerBytes - held + canonical.length > limits.maxBrewerBytesPerSession) {
      return fail('LIMIT_EXCEEDED', `the brewers of one session may be at most ${limits.maxBrewerBytesPerSession} characters of JSON`);
    }
    if (existing && existing.canonical === canonical) {
      // [PK-REG-3] [PK-REG-5] identical: no notification; a new session of the same sub takes it over.
      this.takeOver(existing, session);
      this.patrons.brewerReaffirmed(existing, session);
      return ok(undefined);
    }
    if (existing) existing.owner.releaseBrewer(existing);
    const registration = new Registration(literal, segments.value, brewer, canonical, sub, session);
    this.registry.put(registration);
    session.holdBrewer(registration);
    // 1.x patrons of the replaced object hear it go before they hear of the new one.
    if (existing) this.patrons.brewerRemoved(existing, true);
    this.fanOut(registration.segments, registration.notifyEvent());
    this.patrons.brewerAdded(registration, session);
    return ok(undefined);
  }

  // [PK-UNREG-1] [PK-UNREG-2] [PK-UNREG-3]
  unregisterBrewer(session: Session, topic: unknown, brewer: string | Brewer): Result<void> {
    const sub = session.sub;
    if (sub === undefined) return fail('UNAUTHENTICATED');
    const segments = parseTopic(topic, { wildcards: false });
    if (!segments.ok) return segments;
    const uuid = typeof brewer === 'string' ? brewer : brewer.uuid;
    const existing = this.registry.get(topic as string, uuid);
    if (!existing) return fail('INVALID_PAYLOAD', `brewer: no brewer ${uuid} on topic ${topic as string}`);
    if (existing.sub !== sub) return fail('LACK_PERMISSIONS', `brewer ${uuid} belongs to another client`);
    if (typeof brewer !== 'string' && canonicalJson(brewer) !== existing.canonical) {
      return fail('INVALID_PAYLOAD', 'brewer: object differs from the registered one');
    }
    this.remove(existing);
    return ok(undefined);
  }

  // [PK-SUB-1] [PK-SUB-2] [PK-SUB-4] [PK-RIGHT-5]
  subscribe(session: Session, topic: unknown): Result<void> {
    if (session.sub === undefined) return fail('UNAUTHENTICATED');
    const segments = parseTopic(topic, { wildcards: true });
    if (!segments.ok) return segments;
    const source = topic as string;
    const pattern = compilePattern(source, segments.value);
    if (!session.identity?.grants.canSubscribe(pattern)) return fail('LACK_PERMISSIONS', `subscribe:${source}`);
    const known = session.subscriptions.has(source);
    if (!known && session.subscriptions.size + session.patrons.size >= session.limits.maxSubscriptionsPerSession) {
      return fail('LIMIT_EXCEEDED', `at most ${session.limits.maxSubscriptionsPerSession} subscriptions per session`);
    }
    // The snapshot goes out before the subscription joins the index; both happen in this one
    // synchronous call, so no registration can slip between them.
    this.registry.forEachMatching(pattern, (registration) => this.deliver(session, registration.notifyEvent()));
    if (!known && !session.closed) {
      const subscription: Subscription = { session, pattern };
      session.subscriptions.set(source, subscription);
      this.index.add(pattern, subscription);
    }
    return ok(undefined);
  }

  // [PK-SUB-3]
  unsubscribe(session: Session, topic: unknown): Result<void> {
    if (session.sub === undefined) return fail('UNAUTHENTICATED');
    const segments = parseTopic(topic, { wildcards: true });
    if (!segments.ok) return segments;
    const subscription = session.subscriptions.get(topic as string);
    if (!subscription) return fail('INVALID_PAYLOAD', `topic: not subscribed to ${topic as string}`);
    this.dropSubscription(subscription);
    return ok(undefined);
  }

  /**
   * After a token refresh: whatever the new rights no longer allow is removed as if unregistered
   * or unsubscribed. [PK-AUTH-5]
   */
  enforceGrants(session: Session): void {
    const grants = session.identity?.grants;
    if (!grants) return;
    for (const registration of [...session.brewers]) {
      if (!grants.canBrew(registration.segments)) this.remove(registration);
    }
    for (const subscription of [...session.subscriptions.values()]) {
      if (!grants.canSubscribe(subscription.pattern)) this.dropSubscription(subscription);
    }
    this.patrons.enforceGrants(session);
  }

  /**
   * A successor session of the same client takes every registration of `from` over, silently
   * (as an identical re-registration would), then keeps only what its own rights allow.
   */
  transferBrewers(from: Session, to: Session): void {
    for (const registration of [...from.brewers]) this.takeOver(registration, to);
    this.enforceGrants(to);
  }

  /** A session ended: its brewers go (with BREWER_REMOVED), its subscriptions are dropped. [PK-END-1] */
  endSession(session: Session): void {
    this.patrons.sessionEnded(session);
    for (const subscription of [...session.subscriptions.values()]) this.dropSubscription(subscription);
    for (const registration of [...session.brewers]) this.remove(registration);
  }

  private takeOver(registration: Registration, session: Session): void {
    if (registration.owner === session) return;
    registration.owner.releaseBrewer(registration);
    registration.owner = session;
    session.holdBrewer(registration);
  }

  private remove(registration: Registration): void {
    registration.owner.releaseBrewer(registration);
    if (!this.registry.delete(registration)) return;
    this.fanOut(registration.segments, registration.removedEvent());
    this.patrons.brewerRemoved(registration);
  }

  private dropSubscription(subscription: Subscription): void {
    subscription.session.subscriptions.delete(subscription.pattern.source);
    this.index.remove(subscription.pattern, subscription);
  }

  /** Once per session, however many of its patterns match. [PK-REG-2] */
  private fanOut(topic: readonly string[], event: BrewerEvent): void {
    const sessions = new Set<Session>();
    this.index.forEachMatch(topic, (subscription) => sessions.add(subscription.session));
    for (const session of sessions) this.deliver(session, event);
  }

  private deliver(session: Session, event: BrewerEvent): void {
    if (session.closed || session.cut || this.quiet) return;
    this.stats.notificationsSent++;
    session.deliver(event);
  }
}
