import { fail, ok, type Result } from '../../protocol/errors.js';
import { patronKey, type Patron } from '../patrons/patron.js';
import { PatronBook } from '../patrons/patronBook.js';
import { UriDirectory } from '../pcp/uriDirectory.js';
import { sameSession, type SessionRef } from '../sessions/sessionRef.js';
import { BrewerRegistry } from './brewerRegistry.js';
import type { Applied, AppliedListener, ClusterNotice, NoticeListener, Proposal } from './changes.js';
import { putPatron, putRegistration } from './copyWrites.js';
import type { RegistryEngine } from './registryEngine.js';

/**
 * The registry engine of a single process: state in memory, each change applied synchronously
 * inside `propose`, listeners told in order before it returns.
 */
export class LocalRegistryEngine implements RegistryEngine {
  readonly registry = new BrewerRegistry();
  readonly patrons = new PatronBook();
  readonly uris = new UriDirectory();
  readonly seedsSharedState = true;
  private readonly listeners: AppliedListener[] = [];
  private readonly noticeListeners: NoticeListener[] = [];
  private applying = false;
  /** Sessions that ended while a change was being applied (a superseded one): released after it. */
  private readonly releases: { owner: SessionRef; released: (() => void) | undefined }[] = [];

  /** `uuidReserveMs`: how long an ended session's uuids stay its sub's ([PK-REG-9]). */
  constructor(
    readonly node: string,
    private readonly uuidReserveMs = 0,
  ) {}

  onApplied(listener: AppliedListener): void {
    this.listeners.push(listener);
  }

  announce(notice: ClusterNotice): void {
    for (const listener of this.noticeListeners) listener(notice, true);
  }

  onNotice(listener: NoticeListener): void {
    this.noticeListeners.push(listener);
  }

  /** A single process's sessions take what they hold with them, draining or not. */
  drain(): void {}

  /** A single process has no other node: every session is this one's. */
  forward(): boolean {
    return false;
  }

  /** The copy is the whole state: nowhere else to look. */
  locate(): undefined {
    return undefined;
  }

  onForwarded(): void {}

  propose(proposal: Proposal): Result<readonly Applied[]> {
    // A listener that proposed would interleave its change with the one being told: a bug.
    if (this.applying) throw new Error('A registry change was proposed while another was being applied.');
    this.applying = true;
    try {
      return this.apply(proposal);
    } finally {
      this.applying = false;
      this.drainReleases();
    }
  }

  release(owner: SessionRef, released?: () => void): void {
    this.releases.push({ owner, released });
    if (!this.applying) this.drainReleases();
  }

  private drainReleases(): void {
    for (let next = this.releases.shift(); next !== undefined; next = this.releases.shift()) {
      this.applying = true;
      try {
        this.releaseNow(next.owner);
      } finally {
        this.applying = false;
      }
      next.released?.();
    }
  }

  private apply(proposal: Proposal): Result<readonly Applied[]> {
    switch (proposal.kind) {
      case 'brewer.put':
        return this.putBrewer(proposal);
      case 'brewer.remove':
        return this.removeBrewer(proposal);
      case 'patron.put':
        return ok(this.putPatron(proposal));
      case 'patron.remove': {
        const patron = this.patrons.get(proposal.owner, patronKey(proposal.topic, proposal.patronId));
        return ok(patron ? this.dropPatron(patron) : []);
      }
      case 'uri.claim':
        return ok(this.claimUri(proposal));
    }
  }

  // [PK-REG-1] [PK-REG-3] [PK-REG-4] [PK-REG-5]
  private putBrewer(p: Extract<Proposal, { kind: 'brewer.put' }>): Result<readonly Applied[]> {
    const uuid = p.brewer.uuid;
    const owner = this.registry.ownerOf(uuid);
    if (owner !== undefined && owner !== p.sub) return fail('LACK_PERMISSIONS', `brewer ${uuid} belongs to another client`);
    // Identical: no notification; a new session of the same sub takes it over.
    const change = putRegistration(this.registry, p);
    return ok(change ? [this.emit(change)] : []);
  }

  private removeBrewer(p: Extract<Proposal, { kind: 'brewer.remove' }>): Result<readonly Applied[]> {
    const existing = this.registry.get(p.topic, p.uuid);
    if (!existing || (p.owner && !sameSession(existing.owner, p.owner))) return ok([]);
    if (p.sub !== undefined && existing.sub !== p.sub) return fail('LACK_PERMISSIONS', `brewer ${p.uuid} belongs to another client`);
    this.registry.delete(existing);
    return ok([this.emit({ kind: 'brewer.removed', registration: existing })]);
  }

  private putPatron(p: Extract<Proposal, { kind: 'patron.put' }>): readonly Applied[] {
    const change = putPatron(this.patrons, p);
    return change ? [this.emit(change)] : [];
  }

  private dropPatron(patron: Patron): Applied[] {
    this.patrons.delete(patron);
    return [this.emit({ kind: 'patron.removed', patron })];
  }

  // [PCP-CONN-3] [PCP-CONN-5]
  private claimUri(p: Extract<Proposal, { kind: 'uri.claim' }>): readonly Applied[] {
    const applied: Applied[] = [];
    const previous = this.uris.holderOf(p.uri);
    if (previous && !sameSession(previous, p.owner)) {
      for (const registration of this.registry.heldBy(previous)) {
        this.registry.move(registration, p.owner);
        applied.push(this.emit({ kind: 'brewer.moved', registration, from: previous }));
      }
      for (const key of p.drop) {
        const registration = this.registry.get(key.topic, key.uuid);
        if (!registration || !sameSession(registration.owner, p.owner)) continue;
        this.registry.delete(registration);
        applied.push(this.emit({ kind: 'brewer.removed', registration }));
      }
    }
    this.uris.set(p.uri, p.owner);
    applied.push(this.emit({ kind: 'uri.claimed', uri: p.uri, owner: p.owner, previous }));
    return applied;
  }

  /** [PK-END-1] patrons, then brewers, then the URI: what the session still holds. */
  private releaseNow(owner: SessionRef): void {
    for (const patron of this.patrons.heldBy(owner)) this.dropPatron(patron);
    const until = Date.now() + this.uuidReserveMs;
    for (const registration of this.registry.heldBy(owner)) {
      this.registry.delete(registration);
      if (this.uuidReserveMs > 0) this.registry.reserve(registration.uuid, registration.sub, until);
      this.emit({ kind: 'brewer.removed', registration });
    }
    const uri = this.uris.uriOf(owner);
    if (uri === undefined) return;
    this.uris.delete(uri);
    this.emit({ kind: 'uri.released', uri, owner });
  }

  private emit(change: Applied): Applied {
    for (const listener of this.listeners) listener(change);
    return change;
  }
}
