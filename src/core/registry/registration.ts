import type { Brewer } from '../../protocol/pubkeeper/packets.js';
import { BrewerEvent } from '../brewerEvent.js';
import { offerOf, type BrewerOffer } from '../patrons/brews.js';
import type { SessionRef } from '../sessions/sessionRef.js';

/**
 * One (topic, uuid) brewer registration. Immutable but for the session that holds it (a same-`sub`
 * takeover moves it): a replacement with another brewer object is a new Registration, so the
 * cached notify event (reused for every snapshot) can never go stale.
 */
export class Registration {
  private cachedNotify: BrewerEvent | undefined;
  private cachedOffer: BrewerOffer | undefined;

  constructor(
    readonly topic: string,
    readonly segments: readonly string[],
    readonly brewer: Brewer,
    readonly canonical: string,
    readonly sub: string,
    public owner: SessionRef,
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
