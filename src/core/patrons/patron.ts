import type { BrewerEntry, PatronEntry, Brew } from '../../protocol/pubkeeper-v1/packets.js';
import type { Registration } from '../registry/registration.js';
import type { Session } from '../session.js';
import type { Pattern } from '../topics/pattern.js';

/** Where a session receives pair notifications: only 1.x sessions have one. */
export interface PairSink {
  brewerNotify(patronId: string, brewers: BrewerEntry[]): void;
  brewerRemoved(topic: string, patronId: string, brewerId: string): void;
  patronNotify(brewerId: string, patrons: PatronEntry[]): void;
  patronRemoved(topic: string, brewerId: string, patronId: string): void;
}

/** A (brewer, patron) match on a shared brew. */
export interface Pair {
  readonly registration: Registration;
  readonly patron: Patron;
  /** The brewer's brew object of the shared name (what the patron connects to). */
  readonly brewerBrew: Brew;
  /** The patron's brew object of the shared name. */
  readonly patronBrew: Brew;
  /** The session of the brewer's side that was told of this pair, if any. */
  brewerToldSession: Session | undefined;
}

/** A 1.x patron: a pattern, an id, and the brews it accepts. */
export class Patron {
  readonly pairs = new Map<Registration, Pair>();

  constructor(
    readonly session: Session,
    readonly patronId: string,
    readonly topic: string,
    readonly pattern: Pattern,
    readonly brews: readonly Brew[],
    readonly canonical: string,
  ) {}

  get key(): string {
    return patronKey(this.topic, this.patronId);
  }
}

export const patronKey = (topic: string, patronId: string): string => `${topic}\u0000${patronId}`;

export function brewerEntry(pair: Pair): BrewerEntry {
  const r = pair.registration;
  return { topic: r.topic, brewer_id: r.uuid, brewer_config: r.offer().brewer_config, brew: pair.brewerBrew };
}

export function patronEntry(pair: Pair): PatronEntry {
  return { topic: pair.registration.topic, patron_id: pair.patron.patronId, brew: pair.patronBrew };
}
