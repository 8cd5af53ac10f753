import { fail, ok, type Result } from '../../protocol/errors.js';
import type { Brew } from '../../protocol/pubkeeper-v1/packets.js';
import { parseTopic } from '../../protocol/topic.js';
import type { BrewerRegistry } from '../registry/brewerRegistry.js';
import { canonicalJson } from '../registry/canonicalJson.js';
import type { Registration } from '../registry/registration.js';
import type { Session } from '../session.js';
import { compilePattern } from '../topics/pattern.js';
import { SubscriptionIndex } from '../topics/subscriptionIndex.js';
import { sharedBrew } from './brews.js';
import { brewerEntry, Patron, patronEntry, patronKey, type Pair } from './patron.js';

/**
 * 1.x patrons and their pairs with brewers (CONTRACT §4b). A pair is a patron whose pattern
 * matches a brewer's topic and who shares a brew with it. The registering side is answered with
 * every pair it has not been told of, in one notify, even an empty one; each new pair reaches the
 * other side as a one-entry notify; a pair is never told twice to the same side; its end reaches
 * every side that was told. [PK1-PAIR-1] [PK1-PAIR-2] [PK1-PAIR-3]
 */
export class Matchmaker {
  private readonly index = new SubscriptionIndex<Patron>();

  constructor(
    private readonly registry: BrewerRegistry,
    /** True while the server drains: removals are not announced (see Discovery.quiet). */
    private readonly quiet: () => boolean,
  ) {}

  get patronCount(): number {
    return this.index.size;
  }

  registerPatron(session: Session, topic: unknown, patronId: string, brews: Brew[]): Result<void> {
    const segments = parseTopic(topic, { wildcards: true });
    if (!segments.ok) return segments;
    const source = topic as string;
    const pattern = compilePattern(source, segments.value);
    if (!session.identity?.grants.canSubscribe(pattern)) return fail('LACK_PERMISSIONS', `subscribe:${source}`);
    const key = patronKey(source, patronId);
    const existing = session.patrons.get(key);
    const canonical = canonicalJson(brews);
    if (existing && existing.canonical === canonical) {
      // The JS client sends a registration twice around authentication: answer what is new (nothing).
      session.pairSink?.brewerNotify(patronId, []);
      return ok(undefined);
    }
    const limit = session.limits.maxSubscriptionsPerSession;
    if (!existing && session.subscriptions.size + session.patrons.size >= limit) {
      return fail('LIMIT_EXCEEDED', `at most ${limit} subscriptions and patrons per session`);
    }
    // A patron re-registered with other brews: it hears of its old pairs' end before the new list.
    if (existing) this.dropPatron(existing, true);
    const patron = new Patron(session, patronId, source, pattern, brews, canonical);
    session.patrons.set(key, patron);
    this.index.add(pattern, patron);
    const fresh: Pair[] = [];
    this.registry.forEachMatching(pattern, (registration) => {
      const pair = this.pair(registration, patron);
      if (pair) fresh.push(pair);
    });
    session.pairSink?.brewerNotify(patronId, fresh.map(brewerEntry));
    for (const pair of fresh) this.tellBrewer(pair);
    return ok(undefined);
  }

  /** Unknown patrons are harmless (CONTRACT §4b). */
  unregisterPatron(session: Session, topic: string, patronId: string): void {
    const patron = session.patrons.get(patronKey(topic, patronId));
    if (patron) this.dropPatron(patron);
  }

  /** A brewer appeared (new or replacing another object): pair it, then answer its session. */
  brewerAdded(registration: Registration, session: Session): void {
    this.index.forEachMatch(registration.segments, (patron) => {
      const pair = this.pair(registration, patron);
      if (pair) patron.session.pairSink?.brewerNotify(patron.patronId, [brewerEntry(pair)]);
    });
    this.answerBrewer(registration, session);
  }

  /** An identical registration again (same session, or a successor): tell only what it does not know. */
  brewerReaffirmed(registration: Registration, session: Session): void {
    this.answerBrewer(registration, session);
  }

  /**
   * The brewer went: every patron told of it is told it is gone. When it was replaced by another
   * object (`replaced`), its own side hears of the old pairs' end too, before the new list.
   */
  brewerRemoved(registration: Registration, replaced = false): void {
    for (const pair of registration.pairs.values()) {
      pair.patron.pairs.delete(registration);
      if (this.quiet()) continue;
      pair.patron.session.pairSink?.brewerRemoved(registration.topic, pair.patron.patronId, registration.uuid);
      if (replaced) this.tellBrewerRemoved(pair);
    }
    registration.pairs.clear();
  }

  /** After a token refresh: patrons the rights no longer cover go, as if unregistered. */
  enforceGrants(session: Session): void {
    const grants = session.identity?.grants;
    for (const patron of [...session.patrons.values()]) if (!grants?.canSubscribe(patron.pattern)) this.dropPatron(patron);
  }

  sessionEnded(session: Session): void {
    for (const patron of [...session.patrons.values()]) this.dropPatron(patron);
  }

  private answerBrewer(registration: Registration, session: Session): void {
    const sink = session.pairSink;
    if (!sink) return;
    const untold = [...registration.pairs.values()].filter((p) => p.brewerToldSession !== session);
    for (const pair of untold) pair.brewerToldSession = session;
    sink.patronNotify(registration.uuid, untold.map(patronEntry));
  }

  /** Creates the pair when they share a brew and are not paired yet. */
  private pair(registration: Registration, patron: Patron): Pair | undefined {
    if (registration.pairs.has(patron)) return undefined;
    const shared = sharedBrew(patron.brews, registration.offer());
    if (!shared) return undefined;
    const pair: Pair = { registration, patron, patronBrew: shared[0], brewerBrew: shared[1], brewerToldSession: undefined };
    registration.pairs.set(patron, pair);
    patron.pairs.set(registration, pair);
    return pair;
  }

  /** A later match reaches the brewer's side as a one-entry notify. */
  private tellBrewer(pair: Pair): void {
    const owner = pair.registration.owner;
    if (!owner.pairSink || owner.closed) return;
    pair.brewerToldSession = owner;
    owner.pairSink.patronNotify(pair.registration.uuid, [patronEntry(pair)]);
  }

  /** Removes a patron; its brewers' sides hear of it, and the patron itself when `replaced`. */
  private dropPatron(patron: Patron, replaced = false): void {
    patron.session.patrons.delete(patron.key);
    this.index.remove(patron.pattern, patron);
    for (const pair of patron.pairs.values()) {
      pair.registration.pairs.delete(patron);
      if (this.quiet()) continue;
      this.tellBrewerRemoved(pair);
      if (replaced) patron.session.pairSink?.brewerRemoved(pair.registration.topic, patron.patronId, pair.registration.uuid);
    }
    patron.pairs.clear();
  }

  /** PATRON_REMOVED to the brewer's side, if the session that was told is still its owner. */
  private tellBrewerRemoved(pair: Pair): void {
    const told = pair.brewerToldSession;
    if (told && !told.closed && told === pair.registration.owner) {
      told.pairSink?.patronRemoved(pair.registration.topic, pair.registration.uuid, pair.patron.patronId);
    }
  }
}
