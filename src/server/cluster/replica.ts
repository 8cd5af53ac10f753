import { patronKey, type Patron } from '../../core/patrons/patron.js';
import { PatronBook } from '../../core/patrons/patronBook.js';
import { UriDirectory } from '../../core/pcp/uriDirectory.js';
import { BrewerRegistry } from '../../core/registry/brewerRegistry.js';
import type { Applied, ClusterNotice } from '../../core/registry/changes.js';
import { putPatron, putRegistration } from '../../core/registry/copyWrites.js';
import type { Registration } from '../../core/registry/registration.js';
import { refKey, sameSession } from '../../core/sessions/sessionRef.js';
import type { LogOp } from './logOps.js';

/** What a replica reports besides registry changes. */
export interface ReplicaHooks {
  applied(change: Applied): void;
  notice(notice: ClusterNotice, from: string): void;
  reaped(node: string): void;
}

/** The shared state as a snapshot read it: every registration, patron and URI holder. */
export interface SharedState {
  readonly registrations: readonly Extract<LogOp, { op: 'b+' }>[];
  readonly patrons: readonly Extract<LogOp, { op: 'p+' }>[];
  readonly uris: readonly Extract<LogOp, { op: 'u+' }>[];
  readonly reservations: readonly Extract<LogOp, { op: 'r' }>[];
}

/**
 * This node's copy of the shared registry, changed only by the log's ops, in seq order. Each op
 * says what an entry now is ("this registration is now X", "this URI is free"); the change it
 * makes is found by comparing with what the copy holds, so applying an op twice, or an op the
 * copy already reflects, changes nothing and tells nobody anything. The same comparison turns a
 * snapshot into the difference a lagging node must tell its subscribers.
 */
export class Replica {
  readonly registry = new BrewerRegistry();
  readonly patrons = new PatronBook();
  readonly uris = new UriDirectory();

  constructor(private readonly hooks: ReplicaHooks) {}

  /** Applies one op; what it changed is told to the hooks and added to `out`. */
  apply(op: LogOp, out: Applied[]): void {
    switch (op.op) {
      case 'b+':
        return this.putBrewer(op, out);
      case 'b-': {
        const existing = this.registry.get(op.topic, op.uuid);
        if (existing) this.removeBrewer(existing, out);
        return;
      }
      case 'r':
        return this.registry.reserve(op.uuid, op.sub, op.until);
      case 'p+':
        return this.putPatron(op, out);
      case 'p-': {
        const existing = this.patrons.get(op.owner, patronKey(op.topic, op.patronId));
        if (existing) this.removePatron(existing, out);
        return;
      }
      case 'u+': {
        const previous = this.uris.holderOf(op.uri);
        if (previous && sameSession(previous, op.owner)) return;
        this.uris.set(op.uri, op.owner);
        return this.tell({ kind: 'uri.claimed', uri: op.uri, owner: op.owner, previous }, out);
      }
      case 'u-':
        return this.releaseUri(op.uri, out);
      case 'n':
        return this.hooks.notice(op.notice, op.from);
      case 'x':
        return this.hooks.reaped(op.node);
    }
  }

  /**
   * Makes the copy what the snapshot says: what is gone is removed first, then what is new or
   * different is put. A brewer that is in both, unchanged, is told to nobody.
   */
  resync(state: SharedState, out: Applied[]): void {
    const registrations = new Set(state.registrations.map((r) => `${r.topic}\u0000${r.brewer.uuid}`));
    for (const registration of this.registry.all()) {
      if (!registrations.has(`${registration.topic}\u0000${registration.uuid}`)) this.removeBrewer(registration, out);
    }
    const patrons = new Set(state.patrons.map((p) => `${refKey(p.owner)}\u0000${patronKey(p.topic, p.patronId)}`));
    for (const patron of this.patrons.all()) {
      if (!patrons.has(`${refKey(patron.owner)}\u0000${patron.key}`)) this.removePatron(patron, out);
    }
    const uris = new Set(state.uris.map((u) => u.uri));
    for (const [uri] of this.uris.entries()) if (!uris.has(uri)) this.releaseUri(uri, out);
    for (const op of state.registrations) this.putBrewer(op, out);
    for (const op of state.patrons) this.putPatron(op, out);
    for (const op of state.uris) this.apply(op, out);
    for (const op of state.reservations) this.apply(op, out);
  }

  private putBrewer(op: Extract<LogOp, { op: 'b+' }>, out: Applied[]): void {
    const change = putRegistration(this.registry, op);
    if (change) this.tell(change, out);
  }

  private removeBrewer(registration: Registration, out: Applied[]): void {
    this.registry.delete(registration);
    this.tell({ kind: 'brewer.removed', registration }, out);
  }

  private putPatron(op: Extract<LogOp, { op: 'p+' }>, out: Applied[]): void {
    const change = putPatron(this.patrons, op);
    if (change) this.tell(change, out);
  }

  private removePatron(patron: Patron, out: Applied[]): void {
    this.patrons.delete(patron);
    this.tell({ kind: 'patron.removed', patron }, out);
  }

  private releaseUri(uri: string, out: Applied[]): void {
    const owner = this.uris.holderOf(uri);
    if (!owner) return;
    this.uris.delete(uri);
    this.tell({ kind: 'uri.released', uri, owner }, out);
  }

  private tell(change: Applied, out: Applied[]): void {
    out.push(change);
    this.hooks.applied(change);
  }
}
