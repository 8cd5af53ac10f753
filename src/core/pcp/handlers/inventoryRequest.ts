import { parsePcpUriPattern, type PcpUriPattern } from '../../../protocol/pcpUri.js';
import { MessageType, type PcpMessage } from '../../../protocol/pcp/message.js';
import { PubkeeperError } from '../../../protocol/errors.js';
import type { Inventory } from '../inventory.js';
import type { PcpSession } from '../pcpSession.js';

function readQuery(data: unknown): { patterns: PcpUriPattern[]; subscribe: boolean } | string {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'data must be an object';
  const { query, subscribe } = data as Record<string, unknown>;
  if (!Array.isArray(query)) return 'query must be an array of PCP URI patterns';
  const patterns: PcpUriPattern[] = [];
  for (const item of query) {
    const pattern = parsePcpUriPattern(item);
    if (!pattern) return `query: ${JSON.stringify(item)?.slice(0, 64) ?? 'item'} is not a PCP URI pattern`;
    patterns.push(pattern);
  }
  if (subscribe !== undefined && typeof subscribe !== 'boolean') return 'subscribe must be a boolean';
  return { patterns, subscribe: subscribe === true };
}

/**
 * inventory_request: authorize, validate, answer the sorted connected URIs the asker may see, then
 * start or end its subscription (false or absent ends it). [PCP-INV-1] [PCP-INV-2] [PCP-INV-3]
 */
export function inventoryRequest(from: PcpSession, message: PcpMessage, inventory: Inventory): void {
  const grants = from.session.identity?.grants;
  if (!grants?.hasInventoryRight) return from.unauthorized(message.id);
  const request = readQuery(message.data);
  if (typeof request === 'string') return from.error(new PubkeeperError('INVALID_PAYLOAD', request), message.id);
  const uris = inventory.query(request.patterns, (uri) => grants.canSeeInventory(uri));
  from.fromBroker(MessageType.INVENTORY_RESPONSE, { uris }, message.id);
  if (request.subscribe) inventory.subscribe(from, request.patterns);
  else inventory.unsubscribe(from);
}
