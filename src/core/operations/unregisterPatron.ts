import { ok, type Result } from '../../protocol/errors.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';
import { andThen, type Settled } from '../util/settled.js';

/** PATRON_UNREGISTER (1.x): an unknown patron is harmless (CONTRACT §4b). */
export function unregisterPatron(ports: Ports, session: Session, topic: string, patronId: string): Settled<Result<void>> {
  return andThen(ports.engine.propose({ kind: 'patron.remove', owner: session.ref, topic, patronId }), (applied) =>
    applied.ok ? ok(undefined) : applied,
  );
}
