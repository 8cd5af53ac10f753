import type { Brew } from '../../protocol/pubkeeper-v1/packets.js';
import type { SessionRef } from '../sessions/sessionRef.js';
import type { Pattern } from '../topics/pattern.js';

/** A 1.x patron: a pattern, an id, and the brews it accepts, held by one session. */
export class Patron {
  readonly key: string;

  constructor(
    readonly owner: SessionRef,
    readonly patronId: string,
    readonly topic: string,
    readonly pattern: Pattern,
    readonly brews: readonly Brew[],
    readonly canonical: string,
  ) {
    this.key = patronKey(topic, patronId);
  }
}

/** A session's patrons are keyed by topic and patron id. */
export const patronKey = (topic: string, patronId: string): string => `${topic}\u0000${patronId}`;
