/**
 * Which session holds something (a registration, a patron, a PCP URI): the node it lives on and
 * its id. State refers to sessions by this value, never by the live object, so it can be copied
 * between nodes or rebuilt from a log.
 */
export interface SessionRef {
  readonly node: string;
  readonly session: string;
}

export const sameSession = (a: SessionRef, b: SessionRef): boolean => a.node === b.node && a.session === b.session;

/** A string key for maps of refs. */
export const refKey = (ref: SessionRef): string => `${ref.node}/${ref.session}`;
