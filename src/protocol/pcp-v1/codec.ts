import { fail, ok, type Result } from '../errors.js';
import { BROKER_URI, MessageType, UUID_PATTERN, type OutgoingMessage, type PcpMessage } from '../pcp/message.js';
import { isMessageUri } from '../pcp/uriSyntax.js';
import { parseChunks, writeChunks } from './chunks.js';

/**
 * PCP v1 (CONTRACT §5, REFERENCE 2.1, 2.2, 2.5): binary frames whose envelope chunk is a closed
 * JSON object and whose data chunk, when not empty, is JSON. Pure but for the default expiry of
 * `encodeV1`, whose clock can be passed in.
 */

/** How far ahead `expires` is set when the message to encode has none. */
export const V1_DEFAULT_TTL_MS = 60_000;

// `in-reply-to` is hyphenated, as pcp-broker and cpp-pcp-client write it; `in_reply_to` (the v2
// spelling) is an unknown key and fails, as it would against clj-pcp-common's closed schema.
const ENVELOPE_KEYS = new Set(['id', 'message_type', 'expires', 'targets', 'sender', 'destination_report', 'in-reply-to']);

// Date and time with a zone, so a deadline means the same instant on every host; Date.parse then
// catches what the shape alone lets through (month 13, minute 60).
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

// Fatal, so bytes that are not UTF-8 are a decode error rather than silently replaced text.
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY = new Uint8Array(0);

export function decodeV1(bytes: Uint8Array): Result<PcpMessage> {
  const parsed = parseChunks(bytes);
  if (!parsed.ok) return parsed;
  const chunks = parsed.value;

  const read = readJson(chunks.envelope, 'envelope is not UTF-8 JSON');
  if (!read.ok) return read;
  const envelope = read.value;
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    return failure('envelope must be a JSON object');
  }
  const fields = envelope as Record<string, unknown>;
  // Read first so every later failure can still be answered in reply to this id.
  const id = isUuid(fields['id']) ? fields['id'] : undefined;

  for (const key of Object.keys(fields)) {
    if (!ENVELOPE_KEYS.has(key)) return failure(`unknown envelope key ${JSON.stringify(key)}`, id);
  }
  if (id === undefined) return failure('id must be a UUID');
  const { message_type, expires, targets, sender, destination_report } = fields;
  const inReplyTo = fields['in-reply-to'];
  if (typeof message_type !== 'string') return failure('message_type must be a string', id);
  if (!isIsoDateTime(expires)) return failure('expires must be an ISO 8601 date-time', id);
  if (!Array.isArray(targets) || !targets.every(isMessageUri)) {
    return failure('targets must be an array of PCP URIs', id);
  }
  if (!isMessageUri(sender)) return failure('sender is not a PCP URI', id);
  if (destination_report !== undefined && typeof destination_report !== 'boolean') {
    return failure('destination_report must be a boolean', id);
  }
  if (inReplyTo !== undefined && !isUuid(inReplyTo)) return failure('in-reply-to must be a UUID', id);

  const message: PcpMessage = { id, message_type, targets: [...targets], sender, expires };
  if (destination_report !== undefined) message.destination_report = destination_report;
  if (inReplyTo !== undefined) message.in_reply_to = inReplyTo;
  // An empty data chunk means "no data" (REFERENCE 2.1: one is always written).
  if (chunks.data !== undefined && chunks.data.length > 0) {
    const data = readJson(chunks.data, 'data is not UTF-8 JSON', id);
    if (!data.ok) return data;
    message.data = data.value;
  }
  // Debug chunks are dropped, as by pcp-broker ≥ 1.0.
  return ok(fromV1ErrorMessage(message));
}

/**
 * `expires` is the message's own or `now` + 60 s; `targets` is `[target]` or `[]`; `sender`
 * defaults to the broker. A string error_message data becomes v1's `{description, id}`.
 */
export function encodeV1(msg: OutgoingMessage, now: number = Date.now()): Uint8Array {
  const json = JSON.stringify(toV1Data(msg));
  // JSON.stringify gives undefined for undefined data (and for values JSON cannot hold).
  const dataBytes = json === undefined ? EMPTY : Buffer.from(json, 'utf8');
  return encodeV1WithData(msg, dataBytes, now);
}

/**
 * Writes `dataBytes`, already serialized, as the data chunk, so a notification's data is encoded
 * once and shared by every session it goes to (STYLE 5.3). No error_message rewrite happens here:
 * the bytes are the caller's.
 */
export function encodeV1WithData(
  head: Omit<OutgoingMessage, 'data'>,
  dataBytes: Uint8Array,
  now: number = Date.now(),
): Uint8Array {
  const envelope: Record<string, unknown> = {
    id: head.id,
    message_type: head.message_type,
    expires: head.expires ?? new Date(now + V1_DEFAULT_TTL_MS).toISOString(),
    targets: head.target === undefined ? [] : [head.target],
    sender: head.sender ?? BROKER_URI,
  };
  if (head.in_reply_to !== undefined) envelope['in-reply-to'] = head.in_reply_to;
  return writeChunks(Buffer.from(JSON.stringify(envelope), 'utf8'), dataBytes);
}

/** v2's error_message data is the description string; v1's is `{description, id?}` (REFERENCE 2.3). */
function toV1Data(msg: OutgoingMessage): unknown {
  if (msg.message_type !== MessageType.ERROR || typeof msg.data !== 'string') return msg.data;
  return msg.in_reply_to === undefined ? { description: msg.data } : { description: msg.data, id: msg.in_reply_to };
}

/**
 * The reverse, as pcp-broker's `v1->v2`: `description` becomes the data and a UUID `id` the
 * `in_reply_to`. Unlike the broker, data without a string description (a plain string, or an
 * object a v2 client sent) is kept as is rather than dropped, so v2 → v1 → v2 loses nothing.
 */
function fromV1ErrorMessage(message: PcpMessage): PcpMessage {
  const { data } = message;
  if (message.message_type !== MessageType.ERROR || typeof data !== 'object' || data === null || Array.isArray(data)) {
    return message;
  }
  const { description, id } = data as Record<string, unknown>;
  if (typeof description !== 'string') return message;
  const mapped: PcpMessage = { ...message, data: description };
  if (isUuid(id)) mapped.in_reply_to = id;
  return mapped;
}

function readJson(bytes: Uint8Array, detail: string, id?: string): Result<unknown> {
  try {
    return ok(JSON.parse(UTF8.decode(bytes)));
  } catch {
    return failure(detail, id);
  }
}

function isIsoDateTime(value: unknown): value is string {
  return typeof value === 'string' && ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

function failure(detail: string, id?: string): Result<never> {
  return fail('DECODE_FAILED', detail, id);
}
