import type { Applied } from '../../core/registry/changes.js';
import { STATIC_OWNER } from '../../core/registry/staticOwner.js';
import type { SessionRef } from '../../core/sessions/sessionRef.js';
import { parsePatronValue, parseRegistrationValue, parseUriValue, type LogOp } from './logOps.js';
import type { Replica, SharedState } from './replica.js';

/** What `pkJoin` puts back: every list a list, since cjson reads `[]` and `{}` alike. */
export interface RestorePayload {
  readonly sessions: string[];
  readonly regs: unknown[];
  readonly patrons: unknown[];
  readonly uris: unknown[];
  readonly revoked: string[];
}

/**
 * What this node's live sessions hold, and the static brewers (every node puts those back: they
 * belong to no node), as `pkJoin` takes them: the copy's, and what a reap of this node took away
 * (`lost`). `ended` says whether a session of this node has ended (its release may still be on
 * its way to Redis: it must not come back).
 */
export function restorePayload(
  replica: Replica,
  lost: readonly Applied[],
  node: string,
  ended: (owner: SessionRef) => boolean,
  revocations: { jtis: readonly string[]; subs: readonly string[] },
): RestorePayload {
  const live = (owner: SessionRef): boolean => owner.node === node && !ended(owner);
  const sessions = new Set<string>();
  const regs: unknown[] = [];
  const removed = (kind: Applied['kind']): Applied[] => lost.filter((change) => change.kind === kind);
  const registrations = [...replica.registry.all(), ...removed('brewer.removed').map((c) => (c as Extract<Applied, { kind: 'brewer.removed' }>).registration)];
  for (const r of registrations) {
    const isStatic = r.owner.node === STATIC_OWNER.node;
    if (!isStatic && !live(r.owner)) continue;
    if (!isStatic) sessions.add(r.owner.session);
    regs.push([r.topic, r.uuid, JSON.stringify(r.brewer), r.canonical, r.sub, r.owner.node, r.owner.session]);
  }
  const patrons: unknown[] = [];
  const heldPatrons = [...replica.patrons.all(), ...removed('patron.removed').map((c) => (c as Extract<Applied, { kind: 'patron.removed' }>).patron)];
  for (const p of heldPatrons) {
    if (!live(p.owner)) continue;
    sessions.add(p.owner.session);
    patrons.push([p.owner.session, p.topic, p.patronId, JSON.stringify(p.brews), p.canonical]);
  }
  const uris: unknown[] = [];
  const released = removed('uri.released').map((c) => c as Extract<Applied, { kind: 'uri.released' }>);
  for (const [uri, owner] of [...replica.uris.entries(), ...released.map((c): [string, SessionRef] => [c.uri, c.owner])]) {
    if (!live(owner)) continue;
    sessions.add(owner.session);
    uris.push([uri, owner.session]);
  }
  const revoked = [...revocations.jtis.map((jti) => `j\u0000${jti}`), ...revocations.subs.map((sub) => `s\u0000${sub}`)];
  return { sessions: [...sessions], regs, patrons, uris, revoked };
}

/** The nodes other than this one that hold something in the copy (static brewers belong to none). */
export function ownerNodes(replica: Replica, node: string): Set<string> {
  const owners = new Set<string>();
  for (const r of replica.registry.all()) owners.add(r.owner.node);
  for (const p of replica.patrons.all()) owners.add(p.owner.node);
  for (const [, owner] of replica.uris.entries()) owners.add(owner.node);
  owners.delete(node);
  owners.delete(STATIC_OWNER.node);
  return owners;
}

/**
 * `pkSnapshot`'s lists (registration values, patron values, the URI and reservation hashes as
 * HGETALL pairs) as ops; a value no node writes is reported to `invalid` and left out.
 */
export function parseSnapshot(
  lists: { regs: readonly string[]; patrons: readonly string[]; uris: readonly string[]; reservations: readonly string[] },
  invalid: (reason: string) => void,
): SharedState {
  const keep = <K extends LogOp['op']>(kind: K, op: LogOp | string, into: Extract<LogOp, { op: K }>[]): void => {
    if (typeof op === 'string') invalid(op);
    else if (op.op === kind) into.push(op as Extract<LogOp, { op: K }>);
    else invalid(`not a ${kind} value`);
  };
  const state = { registrations: [], patrons: [], uris: [], reservations: [] } as {
    registrations: Extract<LogOp, { op: 'b+' }>[];
    patrons: Extract<LogOp, { op: 'p+' }>[];
    uris: Extract<LogOp, { op: 'u+' }>[];
    reservations: Extract<LogOp, { op: 'r' }>[];
  };
  for (const text of lists.regs) keep('b+', parseRegistrationValue(text), state.registrations);
  for (const text of lists.patrons) keep('p+', parsePatronValue(text), state.patrons);
  for (const [uri, text] of pairs(lists.uris)) keep('u+', parseUriValue(uri, text), state.uris);
  for (const [uuid, text] of pairs(lists.reservations)) keep('r', parseReservationValue(uuid, text), state.reservations);
  return state;
}

/** Revocations as Redis keeps them (`j\0jti`, `s\0sub`). */
export function parseRevoked(keys: readonly string[]): ({ jti: string } | { sub: string })[] {
  const targets: ({ jti: string } | { sub: string })[] = [];
  for (const key of keys) {
    const value = key.slice(2);
    if (value === '') continue;
    if (key.startsWith('j\u0000')) targets.push({ jti: value });
    else if (key.startsWith('s\u0000')) targets.push({ sub: value });
  }
  return targets;
}

/** HGETALL's flat reply as pairs. */
function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] as string];
}

/** A reservation as the `resv` hash keeps it: uuid → [sub, untilMs]. */
function parseReservationValue(uuid: string, text: string): LogOp | string {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && typeof value[0] === 'string' && value[0] !== '' && typeof value[1] === 'number' && uuid !== '') {
      return { op: 'r', uuid, sub: value[0], until: value[1] };
    }
  } catch {
    // Reported below.
  }
  return 'not a reservation';
}
