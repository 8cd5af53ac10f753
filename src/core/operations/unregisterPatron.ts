import { ok, type Result } from '../../protocol/errors.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';

/** PATRON_UNREGISTER (1.x): an unknown patron is harmless (CONTRACT §4b). */
export function unregisterPatron(ports: Ports, session: Session, topic: string, patronId: string): Result<void> {
  const applied = ports.engine.propose({ kind: 'patron.remove', owner: session.ref, topic, patronId });
  return applied.ok ? ok(undefined) : applied;
}
