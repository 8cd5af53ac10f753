import { fail, ok, type Result } from '../../protocol/errors.js';
import type { Session } from '../sessions/session.js';
import { MULTI_WILDCARD } from '../../protocol/topic.js';
import type { Pattern } from '../topics/pattern.js';

/**
 * The checks that come before any work on a subscription pattern (SUBSCRIBE, pubkeeper/subscribe,
 * PATRON_REGISTER): how many `**` it holds, which bounds what matching and the rights check cost
 * ([PK-SUB-5]); and what is left of the session's snapshot budget ([PK-SUB-6]).
 */
export function checkPattern(session: Session, pattern: Pattern): Result<void> {
  const max = session.limits.maxMultiWildcards;
  if (pattern.segments.filter((s) => s === MULTI_WILDCARD).length > max) return fail('LIMIT_EXCEEDED', `a pattern may hold at most ${max} **`);
  return ok(undefined);
}

/** [PK-SUB-6] a snapshot is refused once the session spent its budget for this 10 s window. */
export function checkSnapshotBudget(session: Session): Result<void> {
  if (!session.snapshots.exhausted()) return ok(undefined);
  return fail('LIMIT_EXCEEDED', `at most ${session.limits.snapshotBudgetPer10s} snapshot brewers per 10 s`);
}
