import type { Brew } from '../../protocol/pubkeeper-v1/packets.js';
import { brewerEntryJson, patronEntryJson } from '../../protocol/pubkeeper-v1/codec.js';
import type { PairEvent } from '../notify/pairEvent.js';
import type { BrewerRegistry } from '../registry/brewerRegistry.js';
import type { Registration } from '../registry/registration.js';
import { sameSession, type SessionRef } from '../sessions/sessionRef.js';
import type { SubscriptionIndex } from '../topics/subscriptionIndex.js';
import { sharedBrew } from './brews.js';
import type { Patron } from './patron.js';

/** Where pair events go: the sessions of this node, by ref. */
export interface PairOutput {
  /** Is the session a live one of this node whose dialect has pairs? */
  canTell(ref: SessionRef): boolean;
  tell(ref: SessionRef, event: PairEvent): void;
  /** True while the server drains: removals are not announced (see Notifier.quiet). */
  readonly quiet: boolean;
}

/** A (brewer, patron) match on a shared brew. */
interface Pair {
  readonly registration: Registration;
  readonly patron: Patron;
  /** The brewer's brew object of the shared name (what the patron connects to). */
  readonly brewerBrew: Brew;
  /** The patron's brew object of the shared name. */
  readonly patronBrew: Brew;
  /** The session of the brewer's side that was told of this pair, if any. */
  brewerTold: SessionRef | undefined;
}

/**
 * 1.x pairs (CONTRACT §4b), kept from the applied registry changes. A pair is a patron whose
 * pattern matches a brewer's topic and who shares a brew with it. The registering side is answered
 * with every pair it has not been told of, in one notify, even an empty one; each new pair reaches
 * the other side as a one-entry notify; a pair is never told twice to the same side; its end
 * reaches every side that was told. [PK1-PAIR-1] [PK1-PAIR-2] [PK1-PAIR-3]
 */
export class Matchmaker {
  private readonly byRegistration = new Map<Registration, Map<Patron, Pair>>();
  private readonly byPatron = new Map<Patron, Map<Registration, Pair>>();

  constructor(
    private readonly registry: BrewerRegistry,
    private readonly patrons: SubscriptionIndex<Patron>,
    private readonly out: PairOutput,
  ) {}

  /** A brewer appeared (new or replacing another object): pair it, then answer its session. */
  brewerAdded(registration: Registration): void {
    this.patrons.forEachMatch(registration.segments, (patron) => {
      const pair = this.pair(registration, patron);
      if (pair) this.out.tell(patron.owner, { kind: 'brewerNotify', patronId: patron.patronId, entries: [brewerEntry(pair)] });
    });
    this.answerBrewer(registration);
  }

  /**
   * The brewer's session is answered with the pairs it was not told of: after a takeover, or an
   * identical registration again.
   */
  answerBrewer(registration: Registration): void {
    const owner = registration.owner;
    if (!this.out.canTell(owner)) return;
    const untold = [...this.pairsOf(registration)].filter((p) => !(p.brewerTold && sameSession(p.brewerTold, owner)));
    for (const pair of untold) pair.brewerTold = owner;
    this.out.tell(owner, { kind: 'patronNotify', brewerId: registration.uuid, entries: untold.map(patronEntry) });
  }

  /**
   * The brewer went: every patron told of it is told it is gone. When it was replaced by another
   * object (`replaced`), its own side hears of the old pairs' end too, before the new list.
   */
  brewerRemoved(registration: Registration, replaced = false): void {
    for (const pair of this.pairsOf(registration)) {
      forget(this.byPatron, pair.patron, registration);
      if (this.out.quiet) continue;
      const { patron } = pair;
      this.out.tell(patron.owner, { kind: 'brewerRemoved', topic: registration.topic, patronId: patron.patronId, brewerId: registration.uuid });
      if (replaced) this.tellBrewerRemoved(pair);
    }
    this.byRegistration.delete(registration);
  }

  /** A patron appeared: it is answered with every brewer it pairs with, then each brewer is told. */
  patronAdded(patron: Patron): void {
    const fresh: Pair[] = [];
    this.registry.forEachMatching(patron.pattern, (registration) => {
      const pair = this.pair(registration, patron);
      if (pair) fresh.push(pair);
    });
    this.out.tell(patron.owner, { kind: 'brewerNotify', patronId: patron.patronId, entries: fresh.map(brewerEntry) });
    for (const pair of fresh) this.tellBrewer(pair);
  }

  /** The patron went; its brewers' sides hear of it, and the patron itself when `replaced`. */
  patronRemoved(patron: Patron, replaced = false): void {
    for (const pair of this.pairsWith(patron)) {
      const { registration } = pair;
      forget(this.byRegistration, registration, patron);
      if (this.out.quiet) continue;
      this.tellBrewerRemoved(pair);
      if (replaced) this.out.tell(patron.owner, { kind: 'brewerRemoved', topic: registration.topic, patronId: patron.patronId, brewerId: registration.uuid });
    }
    this.byPatron.delete(patron);
  }

  /** How many brewers the patron is paired with. */
  pairCount(patron: Patron): number {
    return this.byPatron.get(patron)?.size ?? 0;
  }

  private pairsOf(registration: Registration): Iterable<Pair> {
    return this.byRegistration.get(registration)?.values() ?? NONE;
  }

  private pairsWith(patron: Patron): Iterable<Pair> {
    return this.byPatron.get(patron)?.values() ?? NONE;
  }

  /** Creates the pair when they share a brew and are not paired yet. */
  private pair(registration: Registration, patron: Patron): Pair | undefined {
    let ofRegistration = this.byRegistration.get(registration);
    if (ofRegistration?.has(patron)) return undefined;
    const shared = sharedBrew(patron.brews, registration.offer());
    if (!shared) return undefined;
    const pair: Pair = { registration, patron, patronBrew: shared[0], brewerBrew: shared[1], brewerTold: undefined };
    if (!ofRegistration) this.byRegistration.set(registration, (ofRegistration = new Map()));
    ofRegistration.set(patron, pair);
    let ofPatron = this.byPatron.get(patron);
    if (!ofPatron) this.byPatron.set(patron, (ofPatron = new Map()));
    ofPatron.set(registration, pair);
    return pair;
  }

  /** A later match reaches the brewer's side as a one-entry notify. */
  private tellBrewer(pair: Pair): void {
    const owner = pair.registration.owner;
    if (!this.out.canTell(owner)) return;
    pair.brewerTold = owner;
    this.out.tell(owner, { kind: 'patronNotify', brewerId: pair.registration.uuid, entries: [patronEntry(pair)] });
  }

  /** PATRON_REMOVED to the brewer's side, if the session that was told still holds the brewer. */
  private tellBrewerRemoved(pair: Pair): void {
    const { registration, patron, brewerTold } = pair;
    if (!brewerTold || !sameSession(brewerTold, registration.owner) || !this.out.canTell(brewerTold)) return;
    this.out.tell(brewerTold, { kind: 'patronRemoved', topic: registration.topic, brewerId: registration.uuid, patronId: patron.patronId });
  }
}

const NONE: readonly Pair[] = [];

/** Removes `inner` from `outer`'s map, and the map itself once it is empty. */
function forget<K, I>(maps: Map<K, Map<I, Pair>>, outer: K, inner: I): void {
  const map = maps.get(outer);
  if (!map?.delete(inner) || map.size > 0) return;
  maps.delete(outer);
}

/**
 * The entry a patron receives, `{topic, brewer_id, brewer_config, brew}`, encoded once per
 * registration and brew and shared by every patron told of it (STYLE §5.3).
 */
function brewerEntry(pair: Pair): string {
  const { registration: r, brewerBrew: brew } = pair;
  return r.notifyEvent().frame(`pubkeeper-v1-entry:${brew.name}`, () =>
    brewerEntryJson({ topic: r.topic, brewer_id: r.uuid, brewer_config: r.offer().brewer_config, brew }),
  );
}

function patronEntry(pair: Pair): string {
  return patronEntryJson({ topic: pair.registration.topic, patron_id: pair.patron.patronId, brew: pair.patronBrew });
}
