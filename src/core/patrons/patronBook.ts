import { refKey, type SessionRef } from '../sessions/sessionRef.js';
import { SubscriptionIndex } from '../topics/subscriptionIndex.js';
import type { Patron } from './patron.js';

/**
 * Every 1.x patron, by the session that holds it and by pattern (to find the patrons a new
 * brewer pairs with). Only the registry engine changes it; everything else reads it.
 */
export class PatronBook {
  private readonly bySession = new Map<string, Map<string, Patron>>();
  readonly index = new SubscriptionIndex<Patron>();

  get size(): number {
    return this.index.size;
  }

  get(owner: SessionRef, key: string): Patron | undefined {
    return this.bySession.get(refKey(owner))?.get(key);
  }

  countHeldBy(owner: SessionRef): number {
    return this.bySession.get(refKey(owner))?.size ?? 0;
  }

  /** The patrons `owner` holds, as a list safe to iterate while they change. */
  heldBy(owner: SessionRef): Patron[] {
    const patrons = this.bySession.get(refKey(owner));
    return patrons ? [...patrons.values()] : [];
  }

  /** Every patron, as a list safe to iterate while they change (a cluster node's resync). */
  all(): Patron[] {
    const all: Patron[] = [];
    for (const patrons of this.bySession.values()) all.push(...patrons.values());
    return all;
  }

  add(patron: Patron): void {
    const key = refKey(patron.owner);
    let patrons = this.bySession.get(key);
    if (!patrons) this.bySession.set(key, (patrons = new Map()));
    patrons.set(patron.key, patron);
    this.index.add(patron.pattern, patron);
  }

  delete(patron: Patron): boolean {
    const key = refKey(patron.owner);
    const patrons = this.bySession.get(key);
    if (patrons?.get(patron.key) !== patron) return false;
    patrons.delete(patron.key);
    if (patrons.size === 0) this.bySession.delete(key);
    this.index.remove(patron.pattern, patron);
    return true;
  }
}
