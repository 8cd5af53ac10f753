import { ok, type Result } from '../../protocol/errors.js';
import { parseRights, type Grants } from './rights.js';

// Distinct rights lists remembered; past this the oldest is forgotten (tokens minted per device
// with rights of their own must not grow it without bound).
const MAX_REMEMBERED = 256;

const remembered = new Map<string, Grants>();

/**
 * The grants of a `rights` claim, shared by every identity whose claim is the same list: grants
 * never change once parsed, and most sessions of a deployment hold one of a few lists, so each
 * would otherwise keep its own copy (about 150 bytes). The key is the claim as JSON, which costs
 * less than parsing it again.
 */
export function sharedGrants(rights: unknown): Result<Grants> {
  const key = JSON.stringify(rights);
  const known = remembered.get(key);
  if (known !== undefined) return ok(known);
  const parsed = parseRights(rights);
  if (!parsed.ok) return parsed;
  if (remembered.size >= MAX_REMEMBERED) {
    const oldest = remembered.keys().next();
    if (!oldest.done) remembered.delete(oldest.value);
  }
  remembered.set(key, parsed.value);
  return parsed;
}
