import type { Brewer } from '../../protocol/pubkeeper/packets.js';
import { BrewerEvent } from '../brewerEvent.js';
import { offerOf, type BrewerOffer } from '../patrons/brews.js';
import type { Pair, Patron } from '../patrons/patron.js';
import type { Session } from '../session.js';

/**
 * One (topic, uuid) brewer registration. Immutable but for its owning session: a replacement
 * with another brewer object is a new Registration, so the cached notify event (reused for every
 * snapshot) can never go stale.
 */
export class Registration {
  private cachedNotify: BrewerEvent | undefined;
  private cachedOffer: BrewerOffer | undefined;
  /** 1.x pairs with patrons, kept by the Matchmaker. */
  readonly pairs = new Map<Patron, Pair>();

  constructor(
    readonly topic: string,
    readonly segments: readonly string[],
    readonly brewer: Brewer,
    readonly canonical: string,
    readonly sub: string,
    public owner: Session,
  ) {}

  get uuid(): string {
    return this.brewer.uuid;
  }

  /** How this brewer looks to 1.x patrons. */
  offer(): BrewerOffer {
    this.cachedOffer ??= offerOf(this.brewer);
    return this.cachedOffer;
  }

  notifyEvent(): BrewerEvent {
    this.cachedNotify ??= new BrewerEvent('notify', this.topic, this.brewer);
    return this.cachedNotify;
  }

  removedEvent(): BrewerEvent {
    return new BrewerEvent('removed', this.topic, this.brewer);
  }
}
