import type { Pattern } from '../topics/pattern.js';
import { TopicIndex } from '../topics/topicIndex.js';
import type { Registration } from './registration.js';

/**
 * Every brewer registration, by topic and uuid, plus which `sub` owns each uuid (CONTRACT §4:
 * a uuid belongs to one sub across all its topics while any registration of it exists).
 */
export class BrewerRegistry {
  private readonly byTopic = new Map<string, Map<string, Registration>>();
  private readonly topics = new TopicIndex();
  private readonly uuidOwners = new Map<string, { sub: string; count: number }>();
  private total = 0;

  get size(): number {
    return this.total;
  }

  get(topic: string, uuid: string): Registration | undefined {
    return this.byTopic.get(topic)?.get(uuid);
  }

  ownerOf(uuid: string): string | undefined {
    return this.uuidOwners.get(uuid)?.sub;
  }

  /** Adds or replaces the (topic, uuid) entry. */
  put(registration: Registration): void {
    let brewers = this.byTopic.get(registration.topic);
    if (!brewers) {
      brewers = new Map();
      this.byTopic.set(registration.topic, brewers);
      this.topics.add(registration.topic, registration.segments);
    }
    if (!brewers.has(registration.uuid)) {
      this.total++;
      const owner = this.uuidOwners.get(registration.uuid);
      if (owner) owner.count++;
      else this.uuidOwners.set(registration.uuid, { sub: registration.sub, count: 1 });
    }
    brewers.set(registration.uuid, registration);
  }

  delete(registration: Registration): boolean {
    const brewers = this.byTopic.get(registration.topic);
    if (brewers?.get(registration.uuid) !== registration) return false;
    brewers.delete(registration.uuid);
    this.total--;
    if (brewers.size === 0) {
      this.byTopic.delete(registration.topic);
      this.topics.remove(registration.topic, registration.segments);
    }
    const owner = this.uuidOwners.get(registration.uuid);
    if (owner && --owner.count === 0) this.uuidOwners.delete(registration.uuid);
    return true;
  }

  /** Every registration whose topic the pattern matches (the subscribe snapshot). */
  forEachMatching(pattern: Pattern, visit: (registration: Registration) => void): void {
    this.topics.forEachMatching(pattern, (topic) => {
      const brewers = this.byTopic.get(topic);
      if (brewers) for (const registration of brewers.values()) visit(registration);
    });
  }
}
