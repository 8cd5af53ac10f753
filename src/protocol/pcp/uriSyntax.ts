/**
 * The syntax a PCP message's `target`, `sender` and `targets` must have to decode (REFERENCE 2.2,
 * 2.6). This is deliberately looser than `parsePcpUri` in `../pcpUri.ts`: a wildcard or an unknown
 * client name must still decode, so the router can answer it ("Multiple recipients…", "Not
 * connected.", `unauthorized`) with `in_reply_to` set, instead of a bare "Could not decode message".
 */

/** pcp-broker's URI regex (clj-pcp-common `protocol.clj`): one `/` after the authority. */
const URI_SHAPE = /^pcp:\/\/[^/]*\/[^/]+$/;

// The broker's regex lets whitespace and control characters through (a NUL target reached its
// authorization step); we refuse them at decode so they never reach a log line or a lookup.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const FORBIDDEN_CHARS = /[\s\u0000-\u001F\u007F-\u009F]/;

const SCHEME = 'pcp://';
const WILDCARD = '*';

/** Is `value` a URI-shaped string a message may carry? Wildcards pass: they are legal syntax. */
export function isMessageUri(value: unknown): value is string {
  return typeof value === 'string' && URI_SHAPE.test(value) && !FORBIDDEN_CHARS.test(value);
}

// Is the name or the type exactly `*`, as in pcp://*/agent or pcp://host/*? Partial globs are not.
// (A line comment: the first example would end a block comment.)
export function isWildcardUri(uri: string): boolean {
  if (!uri.startsWith(SCHEME)) return false;
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return false;
  return rest.slice(0, slash) === WILDCARD || rest.slice(slash + 1) === WILDCARD;
}
