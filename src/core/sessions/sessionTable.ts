import type { Identity } from '../auth/verifyToken.js';
import { InsertionOrder, type Page } from '../util/insertionOrder.js';
import type { Session } from './session.js';

/**
 * Every live session of this node, indexed the ways the server looks for them: by id (state
 * refers to sessions by id: delivery, supersession and routing resolve refs here), and by `sub`,
 * `jti` and PCP URI (revoking a token, kicking a client). Iterating it visits every session.
 */
export class SessionTable implements Iterable<Session> {
  private readonly byId = new Map<string, Session>();
  private readonly bySub = new Map<string, Set<Session>>();
  private readonly byJti = new Map<string, Set<Session>>();
  private readonly byUri = new Map<string, Session>();
  private readonly order = new InsertionOrder<Session>();

  get size(): number {
    return this.byId.size;
  }

  [Symbol.iterator](): Iterator<Session> {
    return this.byId.values();
  }

  has(session: Session): boolean {
    return this.byId.get(session.id) === session;
  }

  get(id: string): Session | undefined {
    return this.byId.get(id);
  }

  withSub(sub: string): ReadonlySet<Session> {
    return this.bySub.get(sub) ?? EMPTY;
  }

  withJti(jti: string): ReadonlySet<Session> {
    return this.byJti.get(jti) ?? EMPTY;
  }

  atUri(uri: string): Session | undefined {
    return this.byUri.get(uri);
  }

  add(session: Session): void {
    this.byId.set(session.id, session);
    this.order.add(session);
    this.index(session, session.identity);
  }

  /** Sessions in the order they began, a page at a time ([ADM-READ-1]). */
  page(after: number, limit: number): Page<Session> {
    return this.order.page(after, limit);
  }

  /** False when the session was not in the table (it was removed already). */
  delete(session: Session): boolean {
    if (!this.has(session)) return false;
    this.byId.delete(session.id);
    this.order.delete(session);
    this.unindex(session, session.identity);
    return true;
  }

  /** Call after `session.identity` changed from `previous` (first authentication or a refresh). */
  identityChanged(session: Session, previous: Identity | undefined): void {
    if (!this.has(session)) return;
    this.unindex(session, previous, false);
    this.index(session, session.identity);
  }

  private index(session: Session, identity: Identity | undefined): void {
    if (identity) {
      add(this.bySub, identity.sub, session);
      if (identity.jti !== undefined) add(this.byJti, identity.jti, session);
    }
    // The newest session of a URI is its holder: an older one is on its way out (superseded).
    if (session.pcp) this.byUri.set(session.pcp.uri, session);
  }

  private unindex(session: Session, identity: Identity | undefined, withUri = true): void {
    if (identity) {
      remove(this.bySub, identity.sub, session);
      if (identity.jti !== undefined) remove(this.byJti, identity.jti, session);
    }
    if (withUri && session.pcp && this.byUri.get(session.pcp.uri) === session) this.byUri.delete(session.pcp.uri);
  }
}

const EMPTY: ReadonlySet<Session> = new Set();

function add(index: Map<string, Set<Session>>, key: string, session: Session): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(session);
}

function remove(index: Map<string, Set<Session>>, key: string, session: Session): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(session);
  if (set.size === 0) index.delete(key);
}
