import { fail, ok, type Result } from '../../protocol/errors.js';
import type { Brewer } from '../../protocol/pubkeeper/packets.js';
import { parseTopic } from '../../protocol/topic.js';
import type { Ports } from '../ports.js';
import { canonicalJson } from '../registry/canonicalJson.js';
import type { Session } from '../sessions/session.js';
import { andThen, type Settled } from '../util/settled.js';

export interface UnregisterOptions {
  /** [PK1-UNREG-1] the 1.x dialect: an unknown brewer is harmless (no ERROR). */
  readonly unknownIsHarmless?: boolean;
}

/**
 * BREWER_UNREGISTER, by uuid string or the exact registered object: validate, authorize, apply;
 * subscribers are told from the applied change. [PK-UNREG-1] [PK-UNREG-2] [PK-UNREG-3]
 */
export function unregisterBrewer(
  ports: Ports,
  session: Session,
  topic: unknown,
  brewer: string | Brewer,
  options: UnregisterOptions = {},
): Settled<Result<void>> {
  const sub = session.sub;
  if (sub === undefined) return fail('UNAUTHENTICATED');
  const uuid = typeof brewer === 'string' ? brewer : brewer.uuid;
  const { registry } = ports.engine;
  if (options.unknownIsHarmless && !registry.get(topic as string, uuid)) return ok(undefined);
  const segments = parseTopic(topic, { wildcards: false });
  if (!segments.ok) return segments;
  const existing = registry.get(topic as string, uuid);
  if (!existing) return fail('INVALID_PAYLOAD', `brewer: no brewer ${uuid} on topic ${topic as string}`);
  if (existing.sub !== sub) return fail('LACK_PERMISSIONS', `brewer ${uuid} belongs to another client`);
  if (typeof brewer !== 'string' && canonicalJson(brewer) !== existing.canonical) {
    return fail('INVALID_PAYLOAD', 'brewer: object differs from the registered one');
  }
  return andThen(ports.engine.propose({ kind: 'brewer.remove', topic: existing.topic, uuid, sub }), (applied) =>
    applied.ok ? ok(undefined) : applied,
  );
}
