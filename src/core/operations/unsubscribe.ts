import { fail, ok, type Result } from '../../protocol/errors.js';
import { parseTopic } from '../../protocol/topic.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';

/** UNSUBSCRIBE: a pattern this session subscribed, else "Invalid payload". [PK-SUB-3] */
export function unsubscribe(ports: Ports, session: Session, topic: unknown): Result<void> {
  if (session.sub === undefined) return fail('UNAUTHENTICATED');
  const segments = parseTopic(topic, { wildcards: true });
  if (!segments.ok) return segments;
  const subscription = session.subscriptions.get(topic as string);
  if (!subscription) return fail('INVALID_PAYLOAD', `topic: not subscribed to ${topic as string}`);
  ports.subscriptions.drop(subscription);
  return ok(undefined);
}
