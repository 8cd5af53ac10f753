import type { SessionRef } from '../sessions/sessionRef.js';

/**
 * Static brewers belong to the server: this `sub` can be no client's (a client's `sub` has no
 * `(`), so no client can register their uuids or unregister them, and this ref is no session's,
 * so no session's end removes them.
 */
export const STATIC_SUB = '(server)';
export const STATIC_OWNER: SessionRef = { node: '(server)', session: '(static)' };
