/**
 * PCP URI syntax (CONTRACT §3, §5): a client is `pcp://<sub>/<type>`, the broker is
 * `pcp:///server`. Rights and inventory queries use patterns whose name or type may be the whole
 * part `*` (no partial globs, as in pcp-broker).
 */

/** A client name: the JWT `sub` claim. Anchored, so `test` never accepts a substring. */
export const SUBJECT_PATTERN = /^[A-Za-z0-9._@-]{1,128}$/;

/** A client type: the last path segment of `/pcp/v2.0/<type>`. */
export const CLIENT_TYPE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The broker's own URI: messages to it have this target, its replies this sender. */
export const SERVER_URI = 'pcp:///server';

/** The part value meaning "any name" or "any type" in a pattern. */
export const URI_WILDCARD = '*';

const SCHEME = 'pcp://';
// The longest possible URI; anything longer is refused before any splitting work.
const MAX_URI_LENGTH = SCHEME.length + 128 + 1 + 64;

export interface PcpUri {
  readonly name: string;
  readonly type: string;
}

/** A parsed URI pattern; `name`/`type` are either a literal part or `*`. */
export interface PcpUriPattern {
  readonly name: string;
  readonly type: string;
  /** The pattern as written, for logs and `Grants.describe()`. */
  readonly source: string;
}

/**
 * Parses a client URI. The broker URI `pcp:///server` is not a client URI and gives null here
 * (use `isServerUri`). Type `server` under a client name parses: refusing it (403) is the
 * upgrade handler's decision, distinct from a syntax error (400).
 */
export function parsePcpUri(value: unknown): PcpUri | null {
  const parts = splitUri(value);
  if (parts === null) return null;
  const [name, type] = parts;
  if (!SUBJECT_PATTERN.test(name) || !CLIENT_TYPE_PATTERN.test(type)) return null;
  return { name, type };
}

export function isServerUri(value: unknown): boolean {
  return value === SERVER_URI;
}

export function formatPcpUri(name: string, type: string): string {
  return `${SCHEME}${name}/${type}`;
}

/** Parses `pcp://<name or *>/<type or *>`; `*` only as a whole part. */
export function parsePcpUriPattern(value: unknown): PcpUriPattern | null {
  const parts = splitUri(value);
  if (parts === null) return null;
  const [name, type] = parts;
  if (name !== URI_WILDCARD && !SUBJECT_PATTERN.test(name)) return null;
  if (type !== URI_WILDCARD && !CLIENT_TYPE_PATTERN.test(type)) return null;
  return { name, type, source: formatPcpUri(name, type) };
}

/** Does the pattern match the client URI? A string that is not a client URI never matches. */
export function matchesPcpUri(pattern: PcpUriPattern, uri: string | PcpUri): boolean {
  const parsed = typeof uri === 'string' ? parsePcpUri(uri) : uri;
  if (parsed === null) return false;
  return (
    (pattern.name === URI_WILDCARD || pattern.name === parsed.name) &&
    (pattern.type === URI_WILDCARD || pattern.type === parsed.type)
  );
}

/** `pcp://a/b` → ['a', 'b']; exactly one `/` after the scheme, else null. */
function splitUri(value: unknown): [string, string] | null {
  if (typeof value !== 'string' || value.length > MAX_URI_LENGTH || !value.startsWith(SCHEME)) {
    return null;
  }
  const rest = value.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash < 0 || rest.indexOf('/', slash + 1) >= 0) return null;
  return [rest.slice(0, slash), rest.slice(slash + 1)];
}
