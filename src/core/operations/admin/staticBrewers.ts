import { fail, ok, type Result } from '../../../protocol/errors.js';
import type { Brewer } from '../../../protocol/pubkeeper/packets.js';
import { parseTopic } from '../../../protocol/topic.js';
import type { Ports } from '../../ports.js';
import { canonicalJson } from '../../registry/canonicalJson.js';
import type { Registration } from '../../registry/registration.js';
import { STATIC_OWNER, STATIC_SUB } from '../../registry/staticOwner.js';
import { andThen, type Settled } from '../../util/settled.js';

/**
 * `register static brewer`: a server-owned registration, seen like any other. Identical again
 * changes nothing; another object replaces it; a uuid a client owns is refused. [ADM-STATIC-1]
 */
export function registerStaticBrewer(ports: Ports, topic: string, brewer: Brewer): Settled<Result<void>> {
  const segments = parseTopic(topic, { wildcards: false });
  if (!segments.ok) return segments;
  const proposed = ports.engine.propose({
    kind: 'brewer.put',
    topic,
    segments: segments.value,
    brewer,
    canonical: canonicalJson(brewer),
    sub: STATIC_SUB,
    owner: STATIC_OWNER,
  });
  return andThen(proposed, (applied) => (applied.ok ? ok(undefined) : applied));
}

/**
 * The static brewer an `unregister static brewer` names, by the object or its uuid; one that does
 * not exist (or is a client's) is refused. [ADM-STATIC-2]
 */
export function findStaticBrewer(ports: Ports, topic: string, brewer: string | Brewer): Result<Registration> {
  const uuid = typeof brewer === 'string' ? brewer : brewer.uuid;
  const existing = ports.engine.registry.get(topic, uuid);
  if (!existing || existing.sub !== STATIC_SUB) return fail('INVALID_PAYLOAD', `no static brewer ${uuid} on topic ${topic}`);
  if (typeof brewer !== 'string' && canonicalJson(brewer) !== existing.canonical) {
    return fail('INVALID_PAYLOAD', 'brewer: object differs from the registered one');
  }
  return ok(existing);
}

/** Removes a static brewer found by `findStaticBrewer`, with BREWER_REMOVED to its subscribers. */
export function unregisterStaticBrewer(ports: Ports, registration: Registration): Settled<Result<void>> {
  const proposed = ports.engine.propose({ kind: 'brewer.remove', topic: registration.topic, uuid: registration.uuid, sub: STATIC_SUB });
  return andThen(proposed, (applied) => (applied.ok ? ok(undefined) : applied));
}

/** The static brewers now registered, for writing them down. */
export function staticBrewers(ports: Ports): { topic: string; brewer: Brewer }[] {
  return ports.engine.registry.heldBy(STATIC_OWNER).map((r) => ({ topic: r.topic, brewer: r.brewer }));
}
