import { fail, ok, type Result } from '../../protocol/errors.js';
import type { Brew } from '../../protocol/pubkeeper-v1/packets.js';
import { parseTopic } from '../../protocol/topic.js';
import { patronKey } from '../patrons/patron.js';
import type { Ports } from '../ports.js';
import { canonicalJson } from '../registry/canonicalJson.js';
import type { Session } from '../sessions/session.js';
import { compilePattern } from '../topics/pattern.js';
import { andThen, type Settled } from '../util/settled.js';
import { checkPattern, checkSnapshotBudget } from './patternLimits.js';

/**
 * PATRON_REGISTER (1.x): validate, authorize, limit, apply. The patron is answered with every
 * brewer it pairs with, and each brewer is told, from the applied change. [PK1-PAIR-1]
 */
export function registerPatron(ports: Ports, session: Session, topic: unknown, patronId: string, brews: Brew[]): Settled<Result<void>> {
  const segments = parseTopic(topic, { wildcards: true });
  if (!segments.ok) return segments;
  const source = topic as string;
  const pattern = compilePattern(source, segments.value);
  const shape = checkPattern(session, pattern);
  if (!shape.ok) return shape;
  if (!session.identity?.grants.canSubscribe(pattern)) return fail('LACK_PERMISSIONS', `subscribe:${source}`);
  const { patrons } = ports.engine;
  const existing = patrons.get(session.ref, patronKey(source, patronId));
  const canonical = canonicalJson(brews);
  if (existing && existing.canonical === canonical) {
    // The JS client sends a registration twice around authentication: answer what is new (nothing).
    ports.notifier.tell(session.ref, { kind: 'brewerNotify', patronId, entries: [] });
    return ok(undefined);
  }
  const limit = session.limits.maxSubscriptionsPerSession;
  if (!existing && session.subscriptions.size + patrons.countHeldBy(session.ref) >= limit) {
    return fail('LIMIT_EXCEEDED', `at most ${limit} subscriptions and patrons per session`);
  }
  const budget = checkSnapshotBudget(session);
  if (!budget.ok) return budget;
  const proposed = ports.engine.propose({ kind: 'patron.put', owner: session.ref, topic: source, segments: segments.value, patronId, brews, canonical });
  return andThen(proposed, (applied) => {
    if (!applied.ok) return applied;
    // [PK-SUB-6] the patron's answer was its snapshot: one, plus a brewer per pair it was told of.
    const patron = ports.engine.patrons.get(session.ref, patronKey(source, patronId));
    session.snapshots.spend(1 + (patron ? ports.notifier.pairs.pairCount(patron) : 0));
    return ok(undefined);
  });
}
