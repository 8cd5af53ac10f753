import { ok, type Result } from '../../protocol/errors.js';
import type { Identity } from '../auth/verifyToken.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';
import { andThen, type Settled } from '../util/settled.js';
import { adoptIdentity } from './adoptIdentity.js';

/**
 * A PCP client authenticated at the upgrade takes its URI. An older session with the URI is
 * closed 4000, after its brewer registrations move to the new one: the same client reconnecting
 * must not make its brewers flap (REMOVED, then NOTIFY again). Those the new rights do not allow
 * are removed. Subscriptions do not move (PCP: "not maintained across sessions").
 * [PCP-CONN-3] [PCP-CONN-5]
 */
export function connectPcp(ports: Ports, session: Session, identity: Identity): Settled<Result<void>> {
  const uri = session.pcp?.uri;
  if (uri === undefined) throw new Error('connectPcp needs a PCP session.');
  adoptIdentity(ports, session, identity);
  const { engine } = ports;
  const previous = engine.uris.holderOf(uri);
  const drop = (previous ? engine.registry.heldBy(previous) : [])
    .filter((registration) => !identity.grants.canBrew(registration.segments))
    .map(({ topic, uuid }) => ({ topic, uuid }));
  return andThen(engine.propose({ kind: 'uri.claim', uri, owner: session.ref, drop }), (applied) => (applied.ok ? ok(undefined) : applied));
}
