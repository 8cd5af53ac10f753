import { fail, ok, type Result } from '../../protocol/errors.js';
import { parsePcpUriPattern, type PcpUriPattern } from '../../protocol/pcpUri.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';

interface InventoryQuery {
  readonly patterns: PcpUriPattern[];
  readonly subscribe: boolean;
}

/** A query item as an error detail names it: a string quoted (cut), anything else by its kind. */
function shown(item: unknown): string {
  if (typeof item === 'string') return JSON.stringify(item.slice(0, 64));
  if (item === null) return 'null';
  if (Array.isArray(item)) return 'an array';
  return typeof item === 'object' ? 'an object' : `a ${typeof item}`;
}

function readQuery(data: unknown, maxPatterns: number): Result<InventoryQuery> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return fail('INVALID_PAYLOAD', 'data must be an object');
  const { query, subscribe } = data as Record<string, unknown>;
  if (!Array.isArray(query)) return fail('INVALID_PAYLOAD', 'query must be an array of PCP URI patterns');
  // [PCP-INV-4] an answer costs patterns × clients: the query is bounded before any work.
  if (query.length > maxPatterns) return fail('LIMIT_EXCEEDED', `a query may hold at most ${maxPatterns} patterns`);
  const patterns = new Map<string, PcpUriPattern>();
  for (const item of query) {
    const pattern = parsePcpUriPattern(item);
    if (!pattern) return fail('INVALID_PAYLOAD', `query: ${shown(item)} is not a PCP URI pattern`);
    patterns.set(pattern.source, pattern);
  }
  if (subscribe !== undefined && typeof subscribe !== 'boolean') return fail('INVALID_PAYLOAD', 'subscribe must be a boolean');
  return ok({ patterns: [...patterns.values()], subscribe: subscribe === true });
}

/**
 * inventory_request: authorize, validate, the sorted connected URIs the asker may see, then start
 * or end its subscription (false or absent ends it); the caller answers with the URIs before any
 * update can be due. [PCP-INV-1] [PCP-INV-2] [PCP-INV-3]
 */
export function inventoryRequest(ports: Ports, session: Session, data: unknown): Result<string[]> {
  const grants = session.identity?.grants;
  if (!grants?.hasInventoryRight) return fail('UNAUTHORIZED');
  const request = readQuery(data, session.limits.maxInventoryPatterns);
  if (!request.ok) return request;
  const { patterns, subscribe } = request.value;
  const uris = ports.inventory.query(patterns, (uri) => grants.canSeeInventory(uri));
  if (subscribe) ports.inventory.subscribe(session, patterns);
  else ports.inventory.unsubscribe(session);
  return ok(uris);
}
