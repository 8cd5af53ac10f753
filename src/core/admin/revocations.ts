import type { Identity } from '../auth/verifyToken.js';

/** What a revocation names: one token (its `jti`) or every token of one client (its `sub`). */
export type RevocationTarget = { readonly jti: string } | { readonly sub: string };

/** The revoked jtis and subs, as stored. */
export interface RevokedSet {
  readonly jtis: readonly string[];
  readonly subs: readonly string[];
}

/**
 * Revoked tokens (CONTRACT §8): a verified token is still refused when its `jti` or its `sub` is
 * here. Checked on every verification, so an O(1) lookup.
 */
export class Revocations {
  private readonly jtis = new Set<string>();
  private readonly subs = new Set<string>();

  refuses(identity: Identity): boolean {
    return this.subs.has(identity.sub) || (identity.jti !== undefined && this.jtis.has(identity.jti));
  }

  has(target: RevocationTarget): boolean {
    return 'jti' in target ? this.jtis.has(target.jti) : this.subs.has(target.sub);
  }

  /** The set as it would be with `target` revoked (true) or lifted (false); this one is unchanged. */
  with(target: RevocationTarget, revoked: boolean): RevokedSet {
    const jtis = new Set(this.jtis);
    const subs = new Set(this.subs);
    const set = 'jti' in target ? jtis : subs;
    const key = 'jti' in target ? target.jti : target.sub;
    if (revoked) set.add(key);
    else set.delete(key);
    return { jtis: [...jtis].sort(), subs: [...subs].sort() };
  }

  replace(set: RevokedSet): void {
    this.jtis.clear();
    this.subs.clear();
    for (const jti of set.jtis) this.jtis.add(jti);
    for (const sub of set.subs) this.subs.add(sub);
  }

  snapshot(): RevokedSet {
    return { jtis: [...this.jtis].sort(), subs: [...this.subs].sort() };
  }
}
