import { refKey, type SessionRef } from '../sessions/sessionRef.js';

/**
 * Which session holds each connected PCP URI (one per URI, the newest). The router and the
 * inventory read it; only the registry engine changes it.
 */
export class UriDirectory {
  private readonly holders = new Map<string, SessionRef>();
  private readonly uris = new Map<string, string>();

  get size(): number {
    return this.holders.size;
  }

  holderOf(uri: string): SessionRef | undefined {
    return this.holders.get(uri);
  }

  /** The URI `owner` holds, if it still holds one. */
  uriOf(owner: SessionRef): string | undefined {
    return this.uris.get(refKey(owner));
  }

  /** Every connected URI, in no particular order. */
  connected(): IterableIterator<string> {
    return this.holders.keys();
  }

  /** Every URI and its holder, as a list safe to iterate while they change (a cluster node's resync). */
  entries(): [string, SessionRef][] {
    return [...this.holders];
  }

  set(uri: string, owner: SessionRef): void {
    const previous = this.holders.get(uri);
    if (previous) this.uris.delete(refKey(previous));
    this.holders.set(uri, owner);
    this.uris.set(refKey(owner), uri);
  }

  delete(uri: string): void {
    const owner = this.holders.get(uri);
    if (!owner) return;
    this.holders.delete(uri);
    this.uris.delete(refKey(owner));
  }
}
