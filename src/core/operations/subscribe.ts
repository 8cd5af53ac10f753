import { fail, ok, type Result } from '../../protocol/errors.js';
import { parseTopic } from '../../protocol/topic.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';
import { compilePattern } from '../topics/pattern.js';
import { checkPattern, checkSnapshotBudget } from './patternLimits.js';

/**
 * SUBSCRIBE: validate, authorize, limit, then one BREWER_NOTIFY for every brewer now matching and
 * live notifications after. [PK-SUB-1] [PK-SUB-2] [PK-SUB-4] [PK-SUB-5] [PK-SUB-6] [PK-RIGHT-5]
 */
export function subscribe(ports: Ports, session: Session, topic: unknown): Result<void> {
  if (session.sub === undefined) return fail('UNAUTHENTICATED');
  const segments = parseTopic(topic, { wildcards: true });
  if (!segments.ok) return segments;
  const source = topic as string;
  const pattern = compilePattern(source, segments.value);
  const shape = checkPattern(session, pattern);
  if (!shape.ok) return shape;
  if (!session.identity?.grants.canSubscribe(pattern)) return fail('LACK_PERMISSIONS', `subscribe:${source}`);
  const known = session.subscriptions.has(source);
  const limit = session.limits.maxSubscriptionsPerSession;
  if (!known && session.subscriptions.size + ports.engine.patrons.countHeldBy(session.ref) >= limit) {
    return fail('LIMIT_EXCEEDED', `at most ${limit} subscriptions per session`);
  }
  const budget = checkSnapshotBudget(session);
  if (!budget.ok) return budget;
  // The snapshot goes out before the subscription joins the index; both happen in this one
  // synchronous call, so no applied change can slip between them.
  let sent = 0;
  ports.engine.registry.forEachMatching(pattern, (registration) => {
    sent++;
    ports.notifier.deliver(session, registration.notifyEvent());
  });
  session.snapshots.spend(1 + sent);
  if (!known && !session.closed) ports.subscriptions.add(session, pattern);
  return ok(undefined);
}
