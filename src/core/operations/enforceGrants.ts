import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';

/**
 * After a token refresh: whatever the new rights no longer allow is removed as if unregistered
 * or unsubscribed: brewers (with BREWER_REMOVED), subscriptions, then 1.x patrons. [PK-AUTH-5]
 */
export function enforceGrants(ports: Ports, session: Session): void {
  const grants = session.identity?.grants;
  if (!grants) return;
  const { engine, subscriptions } = ports;
  for (const registration of engine.registry.heldBy(session.ref)) {
    if (grants.canBrew(registration.segments)) continue;
    engine.propose({ kind: 'brewer.remove', topic: registration.topic, uuid: registration.uuid, owner: session.ref });
  }
  for (const subscription of [...session.subscriptions.values()]) {
    if (!grants.canSubscribe(subscription.pattern)) subscriptions.drop(subscription);
  }
  for (const patron of engine.patrons.heldBy(session.ref)) {
    if (grants.canSubscribe(patron.pattern)) continue;
    engine.propose({ kind: 'patron.remove', owner: session.ref, topic: patron.topic, patronId: patron.patronId });
  }
}
