import { z } from 'zod';
import { parseRights, type Grants } from '../../core/auth/rights.js';
import { SUBJECT_PATTERN } from '../../protocol/pcpUri.js';

/** The entry that applies to every CN without one of its own. */
export const ANY_CN = '*';

/**
 * `--cert-rights`: `{"<CN or *>": [rights…]}`. Each list is what a token's `rights` claim may hold
 * (CONTRACT §3), read by the same parser, so a right means the same whether a token or a
 * certificate carries it.
 */
const certRightsFileSchema = z.record(z.string(), z.array(z.unknown(), { message: 'each value must be an array of rights' }), {
  message: 'must hold a JSON object {"<CN or *>": [rights…]}',
});

const NO_RIGHTS = grantsOrThrow([]);

/** The rights of certificate clients, by CN: its own entry, else the `*` entry, else none. */
export class CertRights {
  static readonly NONE = new CertRights(new Map(), undefined);

  private constructor(
    private readonly byName: ReadonlyMap<string, Grants>,
    private readonly fallback: Grants | undefined,
  ) {}

  /**
   * Parses the file's JSON value; throws one sentence naming the entry at fault (the caller adds
   * the flag and the file).
   */
  static parse(value: unknown): CertRights {
    const parsed = certRightsFileSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `"${String(issue.path[0])}": ` : '';
      throw new Error(`${where}${issue?.message ?? 'invalid'}`);
    }
    const byName = new Map<string, Grants>();
    for (const [name, rights] of Object.entries(parsed.data)) {
      // A key no certificate could match (its CN would be refused at the upgrade) is a typo.
      if (name !== ANY_CN && !SUBJECT_PATTERN.test(name)) {
        throw new Error(`"${name}": a key is a certificate CN usable as a PCP name ([A-Za-z0-9._@-], 1 to 128 characters) or "*"`);
      }
      const grants = parseRights(rights);
      if (!grants.ok) throw new Error(`"${name}": ${grants.error.detail ?? 'invalid rights'}`);
      byName.set(name, grants.value);
    }
    const fallback = byName.get(ANY_CN);
    byName.delete(ANY_CN);
    return new CertRights(byName, fallback);
  }

  grantsFor(cn: string): Grants {
    return this.byName.get(cn) ?? this.fallback ?? NO_RIGHTS;
  }
}

function grantsOrThrow(rights: unknown[]): Grants {
  const grants = parseRights(rights);
  if (!grants.ok) throw grants.error;
  return grants.value;
}
