/**
 * The token signing algorithms the server accepts (CONTRACT §3). Each key accepts exactly one of
 * them, fixed by its type, so `none` and algorithm confusion are always refused.
 */
export const KEY_ALGORITHMS = ['RS256', 'ES256', 'HS256'] as const;

export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];
