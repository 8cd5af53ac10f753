import { fail, ok, type Result } from '../../protocol/errors.js';
import type { Brewer } from '../../protocol/pubkeeper/packets.js';
import { parseTopic } from '../../protocol/topic.js';
import type { Ports } from '../ports.js';
import { canonicalJson } from '../registry/canonicalJson.js';
import type { Session } from '../sessions/session.js';
import { sameSession } from '../sessions/sessionRef.js';
import { andThen, type Settled } from '../util/settled.js';

/**
 * BREWER_REGISTER, on every dialect: validate, authorize, limit, apply. Subscribers and 1.x
 * patrons are told from the applied change. [PK-REG-1] [PK-REG-4] [PK-REG-7]
 */
export function registerBrewer(ports: Ports, session: Session, topic: unknown, brewer: Brewer): Settled<Result<void>> {
  const sub = session.sub;
  if (sub === undefined) return fail('UNAUTHENTICATED');
  const segments = parseTopic(topic, { wildcards: false });
  if (!segments.ok) return segments;
  const literal = topic as string;

  if (!session.identity?.grants.canBrew(segments.value)) return fail('LACK_PERMISSIONS', `brew:${literal}`);
  const { registry } = ports.engine;
  const owner = registry.ownerOf(brewer.uuid);
  if (owner !== undefined && owner !== sub) return fail('LACK_PERMISSIONS', `brewer ${brewer.uuid} belongs to another client`);

  const limits = session.limits;
  const existing = registry.get(literal, brewer.uuid);
  const held = existing && sameSession(existing.owner, session.ref) ? existing : undefined;
  // [PK-REG-6] a registration new to this session (fresh, or taken over) counts against its limit.
  if (!held && registry.countHeldBy(session.ref) >= limits.maxBrewersPerSession) {
    return fail('LIMIT_EXCEEDED', `at most ${limits.maxBrewersPerSession} brewers per session`);
  }
  const canonical = canonicalJson(brewer);
  // [PK-REG-8] memory is bounded by bytes too: a count limit alone lets big objects exhaust it.
  if (canonical.length > limits.maxBrewerBytes) {
    return fail('LIMIT_EXCEEDED', `a brewer object may be at most ${limits.maxBrewerBytes} characters of JSON`);
  }
  if (registry.bytesHeldBy(session.ref) - (held?.canonical.length ?? 0) + canonical.length > limits.maxBrewerBytesPerSession) {
    return fail('LIMIT_EXCEEDED', `the brewers of one session may be at most ${limits.maxBrewerBytesPerSession} characters of JSON`);
  }

  // [PK-REG-3] [PK-REG-5] identical: no notification; a new session of the same sub takes it over.
  const proposed = ports.engine.propose({ kind: 'brewer.put', topic: literal, segments: segments.value, brewer, canonical, sub, owner: session.ref });
  return andThen(proposed, (applied) => {
    if (!applied.ok) return applied;
    // Nothing changed (identical, same session): a 1.x brewer is still answered with what it was not told.
    if (applied.value.length === 0 && held) ports.notifier.pairs.answerBrewer(held);
    return ok(undefined);
  });
}
