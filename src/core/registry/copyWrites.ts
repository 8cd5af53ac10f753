import { Patron, patronKey } from '../patrons/patron.js';
import type { PatronBook } from '../patrons/patronBook.js';
import { sameSession } from '../sessions/sessionRef.js';
import { compilePattern } from '../topics/pattern.js';
import type { BrewerRegistry } from './brewerRegistry.js';
import type { Applied, BrewerPut, PatronPut } from './changes.js';
import { Registration } from './registration.js';

/**
 * How a put changes a node's copy of the registry, and what it tells: one rule shared by the
 * in-process engine and a cluster node's replica. An identical brewer (key order aside) held by
 * the same session changes nothing; held by another session it moves, told to nobody as a
 * notification; another object replaces it.
 */
export function putRegistration(
  registry: BrewerRegistry,
  p: BrewerPut,
): Applied | undefined {
  const existing = registry.get(p.topic, p.brewer.uuid);
  if (existing && existing.canonical === p.canonical) {
    if (sameSession(existing.owner, p.owner)) return undefined;
    const from = existing.owner;
    registry.move(existing, p.owner);
    return { kind: 'brewer.moved', registration: existing, from };
  }
  const registration = new Registration(p.topic, p.segments, p.brewer, p.canonical, p.sub, p.owner);
  registry.put(registration);
  return existing ? { kind: 'brewer.replaced', registration, previous: existing } : { kind: 'brewer.added', registration };
}

/** A 1.x patron put: the same brews again change nothing; other brews replace it. */
export function putPatron(
  patrons: PatronBook,
  p: PatronPut,
): Applied | undefined {
  const existing = patrons.get(p.owner, patronKey(p.topic, p.patronId));
  if (existing && existing.canonical === p.canonical) return undefined;
  if (existing) patrons.delete(existing);
  const patron = new Patron(p.owner, p.patronId, p.topic, compilePattern(p.topic, p.segments), p.brews, p.canonical);
  patrons.add(patron);
  return existing ? { kind: 'patron.replaced', patron, previous: existing } : { kind: 'patron.added', patron };
}
