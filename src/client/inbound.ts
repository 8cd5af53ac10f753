// What the SDK accepts from the wire. Both clients check every inbound frame here before acting on
// it: a malformed or unexpected one becomes an InvalidMessageError, which the client reports on its
// 'invalid' event and then drops. Nothing a server or a peer sends may throw.
import type { ErrorCode } from '../protocol/errors.js';
import type { OutgoingMessage } from '../protocol/pcp/message.js';
import { Packet, type Brewer } from '../protocol/pubkeeper/packets.js';

/** A PCP v2 message as it travels on the wire (v1's `expires` never appears on v2). */
export type PcpV2Message = Omit<OutgoingMessage, 'expires'>;

/** A BREWER_NOTIFY or BREWER_REMOVED, on either dialect. */
export interface BrewerEventArgs {
  topic: string;
  brewer: Brewer;
}

/** One entry of an `inventory_update`. */
export interface InventoryChange {
  client: string;
  change: 1 | -1;
}

/** Why an inbound message was dropped. */
export type InvalidMessageCode = Extract<ErrorCode, 'DECODE_FAILED' | 'INVALID_PAYLOAD' | 'UNKNOWN_PACKET' | 'SENDER_MISMATCH'>;

/**
 * A message the SDK dropped instead of acting on it. `code`:
 * - DECODE_FAILED: not a message of the dialect (a binary frame, text that is not JSON, an
 *   envelope of the wrong shape);
 * - INVALID_PAYLOAD: a message the SDK knows whose data has the wrong shape;
 * - UNKNOWN_PACKET: a /ws packet id the server never sends;
 * - SENDER_MISMATCH: PCP discovery or inventory from someone other than the broker, or a reply to
 *   a pending request from someone other than its target.
 */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
  constructor(
    readonly code: InvalidMessageCode,
    message: string,
    /** What arrived: the decoded message or frame when there was one, else the text (cut to 200 characters). */
    readonly received?: unknown,
  ) {
    super(message);
  }
}

// ---- PCP v2 ----

/** A PCP v2 message whose envelope has the right shape (data not looked at), or why not. */
export function decodePcpMessage(text: string): PcpV2Message | InvalidMessageError {
  const parsed = parseJson(text);
  if (parsed === NOT_JSON) return new InvalidMessageError('DECODE_FAILED', 'PCP frame is not JSON', clip(text));
  if (!isRecord(parsed)) return new InvalidMessageError('DECODE_FAILED', 'PCP message is not a JSON object', parsed);
  const flaw = envelopeFlaw(parsed);
  if (flaw) return new InvalidMessageError('DECODE_FAILED', `PCP message ${flaw}`, parsed);
  return parsed as unknown as PcpV2Message;
}

function envelopeFlaw(message: Record<string, unknown>): string | undefined {
  if (typeof message['id'] !== 'string') return 'has no string id';
  if (typeof message['message_type'] !== 'string') return 'has no string message_type';
  for (const key of ['target', 'sender', 'in_reply_to']) {
    if (message[key] !== undefined && typeof message[key] !== 'string') return `has a ${key} that is not a string`;
  }
  return undefined;
}

/** `pubkeeper/brewer_notify` or `pubkeeper/brewer_removed` data: `{topic, brewer: {uuid, …}}`. */
export function checkBrewerEvent(data: unknown, received: unknown): BrewerEventArgs | InvalidMessageError {
  const flaw = brewerEventFlaw(data);
  if (flaw) return new InvalidMessageError('INVALID_PAYLOAD', flaw, received);
  const event = data as BrewerEventArgs;
  return { topic: event.topic, brewer: event.brewer };
}

/** `inventory_update` data: `{changes: [{client, change: 1 | -1}…]}`. */
export function checkInventoryUpdate(data: unknown, received: unknown): InventoryChange[] | InvalidMessageError {
  const invalid = (flaw: string): InvalidMessageError => new InvalidMessageError('INVALID_PAYLOAD', `inventory_update ${flaw}`, received);
  if (!isRecord(data) || !Array.isArray(data['changes'])) return invalid('data must be an object {changes: […]}');
  const changes: InventoryChange[] = [];
  for (const entry of data['changes'] as unknown[]) {
    if (!isRecord(entry) || typeof entry['client'] !== 'string') return invalid('changes[].client must be a string');
    const change = entry['change'];
    if (change !== 1 && change !== -1) return invalid('changes[].change must be 1 or -1');
    changes.push({ client: entry['client'], change });
  }
  return changes;
}

/** `inventory_response` data: `{uris: [string…]}`; undefined when it is not that. */
export function inventoryUris(data: unknown): string[] | undefined {
  if (!isRecord(data) || !Array.isArray(data['uris'])) return undefined;
  const uris = data['uris'] as unknown[];
  return uris.every((uri) => typeof uri === 'string') ? (uris as string[]) : undefined;
}

// ---- the /ws JSON dialect ----

/** A frame the server sends, its payload checked. */
export type ServerFrame =
  | { packet: typeof Packet.AUTHENTICATED; authenticated: boolean }
  | { packet: typeof Packet.ERROR; message: string }
  | { packet: typeof Packet.BREWER_NOTIFY | typeof Packet.BREWER_REMOVED; event: BrewerEventArgs };

/** `[packet, payload]` with an integer packet and an object payload (the payload not looked at), or why not. */
export function decodeServerEnvelope(text: string): [number, Record<string, unknown>] | InvalidMessageError {
  const parsed = parseJson(text);
  if (parsed === NOT_JSON) return new InvalidMessageError('DECODE_FAILED', 'frame is not JSON', clip(text));
  if (!Array.isArray(parsed) || parsed.length !== 2) {
    return new InvalidMessageError('DECODE_FAILED', 'frame is not a JSON array [packet, payload]', parsed);
  }
  const [packet, payload] = parsed as [unknown, unknown];
  if (typeof packet !== 'number' || !Number.isInteger(packet)) return new InvalidMessageError('DECODE_FAILED', 'packet is not an integer', parsed);
  if (!isRecord(payload)) return new InvalidMessageError('DECODE_FAILED', 'payload is not a JSON object', parsed);
  return [packet, payload];
}

/** The payload checked against its packet: AUTHENTICATED, ERROR, BREWER_NOTIFY, BREWER_REMOVED. */
export function checkServerFrame(frame: [number, Record<string, unknown>]): ServerFrame | InvalidMessageError {
  const [packet, payload] = frame;
  const invalid = (flaw: string): InvalidMessageError => new InvalidMessageError('INVALID_PAYLOAD', flaw, frame);
  switch (packet) {
    case Packet.AUTHENTICATED:
      return typeof payload['authenticated'] === 'boolean' ? { packet, authenticated: payload['authenticated'] } : invalid('AUTHENTICATED: authenticated must be a boolean');
    case Packet.ERROR:
      return typeof payload['message'] === 'string' ? { packet, message: payload['message'] } : invalid('ERROR: message must be a string');
    case Packet.BREWER_NOTIFY:
    case Packet.BREWER_REMOVED: {
      const event = checkBrewerEvent(payload, frame);
      return event instanceof InvalidMessageError ? event : { packet, event };
    }
    default:
      return new InvalidMessageError('UNKNOWN_PACKET', `packet ${packet} is not one the server sends`, frame);
  }
}

// ---- shared ----

/** Why `data` is not `{topic: string, brewer: {uuid: string, …}}`; undefined when it is. */
function brewerEventFlaw(data: unknown): string | undefined {
  if (!isRecord(data)) return 'brewer event must be an object {topic, brewer}';
  if (typeof data['topic'] !== 'string') return 'brewer event: topic must be a string';
  const brewer = data['brewer'];
  if (!isRecord(brewer)) return 'brewer event: brewer must be an object';
  if (typeof brewer['uuid'] !== 'string') return 'brewer event: brewer.uuid must be a string';
  return undefined;
}

/** A binary frame: neither dialect of the SDK has any. */
export function binaryFrame(dialect: string, data: ArrayBuffer | Buffer | Buffer[]): InvalidMessageError {
  const bytes = Array.isArray(data) ? data.reduce((sum, part) => sum + part.byteLength, 0) : data.byteLength;
  return new InvalidMessageError('DECODE_FAILED', `binary frame (${bytes} bytes) on ${dialect}`);
}

const NOT_JSON: unique symbol = Symbol('not JSON');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
