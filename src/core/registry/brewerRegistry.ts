import { refKey, type SessionRef } from '../sessions/sessionRef.js';
import type { Pattern } from '../topics/pattern.js';
import { TopicIndex } from '../topics/topicIndex.js';
import { InsertionOrder, type Page } from '../util/insertionOrder.js';
import type { Registration } from './registration.js';

/** What one session holds, for its limits and for what goes when it ends. */
interface Holding {
  readonly registrations: Set<Registration>;
  /** JSON size of the brewer objects held, against `maxBrewerBytesPerSession`. */
  bytes: number;
}

/**
 * Every brewer registration, by topic and uuid; which `sub` owns each uuid (CONTRACT §4: a uuid
 * belongs to one sub across all its topics while any registration of it exists); and what each
 * session holds. Only the registry engine changes it; everything else reads it.
 */
export class BrewerRegistry {
  private readonly byTopic = new Map<string, Map<string, Registration>>();
  private readonly topics = new TopicIndex();
  private readonly topicOrder = new InsertionOrder<string>();
  private readonly uuidOwners = new Map<string, { sub: string; count: number }>();
  private readonly holdings = new Map<string, Holding>();
  /**
   * uuids whose session ended, still their `sub`'s until `until` (CONTRACT §6b): the same client
   * reconnecting finds them free, another client does not. Kept in the order they expire.
   */
  private readonly reserved = new Map<string, { sub: string; until: number }>();
  private total = 0;

  get size(): number {
    return this.total;
  }

  get(topic: string, uuid: string): Registration | undefined {
    return this.byTopic.get(topic)?.get(uuid);
  }

  /** The `sub` a uuid belongs to: the one registering it now, else the one it is reserved for. */
  ownerOf(uuid: string, now = Date.now()): string | undefined {
    const owner = this.uuidOwners.get(uuid)?.sub;
    if (owner !== undefined) return owner;
    const reservation = this.reserved.get(uuid);
    if (reservation === undefined) return undefined;
    if (reservation.until > now) return reservation.sub;
    this.reserved.delete(uuid);
    return undefined;
  }

  /** [PK-REG-9] keeps `uuid` for `sub` until `until`; expired reservations are swept as it goes. */
  reserve(uuid: string, sub: string, until: number, now = Date.now()): void {
    for (const [key, reservation] of this.reserved) {
      if (reservation.until > now) break;
      this.reserved.delete(key);
    }
    this.reserved.delete(uuid);
    this.reserved.set(uuid, { sub, until });
  }

  /** The registrations `owner` holds, as a list safe to iterate while they change. */
  heldBy(owner: SessionRef): Registration[] {
    const holding = this.holdings.get(refKey(owner));
    return holding ? [...holding.registrations] : [];
  }

  countHeldBy(owner: SessionRef): number {
    return this.holdings.get(refKey(owner))?.registrations.size ?? 0;
  }

  bytesHeldBy(owner: SessionRef): number {
    return this.holdings.get(refKey(owner))?.bytes ?? 0;
  }

  /** Adds or replaces the (topic, uuid) entry. */
  put(registration: Registration): void {
    let brewers = this.byTopic.get(registration.topic);
    if (!brewers) {
      brewers = new Map();
      this.byTopic.set(registration.topic, brewers);
      this.topics.add(registration.topic, registration.segments);
      this.topicOrder.add(registration.topic);
    }
    const previous = brewers.get(registration.uuid);
    if (previous) {
      this.release(previous);
    } else {
      this.total++;
      const owner = this.uuidOwners.get(registration.uuid);
      if (owner) owner.count++;
      else this.uuidOwners.set(registration.uuid, { sub: registration.sub, count: 1 });
      // Taken up again by its owner: the reservation has done its job, and an explicit
      // unregister later must free the uuid at once.
      this.reserved.delete(registration.uuid);
    }
    brewers.set(registration.uuid, registration);
    this.hold(registration);
  }

  delete(registration: Registration): boolean {
    const brewers = this.byTopic.get(registration.topic);
    if (brewers?.get(registration.uuid) !== registration) return false;
    brewers.delete(registration.uuid);
    this.release(registration);
    this.total--;
    if (brewers.size === 0) {
      this.byTopic.delete(registration.topic);
      this.topics.remove(registration.topic, registration.segments);
      this.topicOrder.delete(registration.topic);
    }
    const owner = this.uuidOwners.get(registration.uuid);
    if (owner && --owner.count === 0) this.uuidOwners.delete(registration.uuid);
    return true;
  }

  /** Hands a registration to another session of the same `sub` (a takeover). */
  move(registration: Registration, to: SessionRef): void {
    this.release(registration);
    registration.owner = to;
    this.hold(registration);
  }

  /** Topics with a brewer, in the order they got their first, a page at a time ([ADM-READ-2]). */
  topicPage(after: number, limit: number): Page<string> {
    return this.topicOrder.page(after, limit);
  }

  /** Every registration, as a list safe to iterate while they change (a cluster node's resync). */
  all(): Registration[] {
    const all: Registration[] = [];
    for (const brewers of this.byTopic.values()) for (const registration of brewers.values()) all.push(registration);
    return all;
  }

  /** The registrations of one topic. */
  on(topic: string): Registration[] {
    const brewers = this.byTopic.get(topic);
    return brewers ? [...brewers.values()] : [];
  }

  /** Every registration whose topic the pattern matches (the subscribe snapshot). */
  forEachMatching(pattern: Pattern, visit: (registration: Registration) => void): void {
    this.topics.forEachMatching(pattern, (topic) => {
      const brewers = this.byTopic.get(topic);
      if (brewers) for (const registration of brewers.values()) visit(registration);
    });
  }

  private hold(registration: Registration): void {
    const key = refKey(registration.owner);
    let holding = this.holdings.get(key);
    if (!holding) this.holdings.set(key, (holding = { registrations: new Set(), bytes: 0 }));
    holding.registrations.add(registration);
    holding.bytes += registration.canonical.length;
  }

  private release(registration: Registration): void {
    const key = refKey(registration.owner);
    const holding = this.holdings.get(key);
    if (!holding?.registrations.delete(registration)) return;
    holding.bytes -= registration.canonical.length;
    if (holding.registrations.size === 0) this.holdings.delete(key);
  }
}
