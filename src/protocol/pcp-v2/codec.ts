import { fail, ok, type Result } from '../errors.js';
import { UUID_PATTERN, type OutgoingMessage, type PcpMessage } from '../pcp/message.js';
import { isMessageUri } from '../pcp/uriSyntax.js';

/**
 * PCP v2 (CONTRACT §5, REFERENCE 2.2): one JSON object per text frame, closed schema. Pure: text
 * in, `PcpMessage` or DECODE_FAILED out. The error's `detail` is our own wording, for logs; the
 * broker answers every failure with "Could not decode message" in reply to the error's
 * `messageId`, when a UUID one could be read.
 */

const KEYS = new Set(['id', 'message_type', 'target', 'sender', 'in_reply_to', 'data']);

export function decodeV2(text: string): Result<PcpMessage> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return failure('frame is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return failure('frame must be a JSON object');
  }
  const frame = parsed as Record<string, unknown>;
  // Read before any other check so every later failure can still be answered in reply to it.
  const id = isUuid(frame['id']) ? frame['id'] : undefined;

  for (const key of Object.keys(frame)) {
    if (!KEYS.has(key)) return failure(`unknown key ${JSON.stringify(key)}`, id);
  }
  if (id === undefined) return failure('id must be a UUID');
  const { message_type, target, sender, in_reply_to } = frame;
  // An empty message_type decodes, as in the spec's own example frame: it is a routing question
  // (delivered as is, or "Unknown message type." from the broker), not a syntax one.
  if (typeof message_type !== 'string') return failure('message_type must be a string', id);
  if (target !== undefined && !isMessageUri(target)) return failure('target is not a PCP URI', id);
  if (sender !== undefined && !isMessageUri(sender)) return failure('sender is not a PCP URI', id);
  if (in_reply_to !== undefined && !isUuid(in_reply_to)) return failure('in_reply_to must be a UUID', id);

  const message: PcpMessage = { id, message_type, targets: target === undefined ? [] : [target] };
  if (sender !== undefined) message.sender = sender;
  if (in_reply_to !== undefined) message.in_reply_to = in_reply_to;
  // `"data": null` is data (a JSON null), unlike an absent key.
  if (Object.hasOwn(frame, 'data')) message.data = frame['data'];
  return ok(message);
}

/** Keys in the order id, message_type, target, sender, in_reply_to, data; absent ones omitted. */
export function encodeV2(msg: OutgoingMessage): string {
  const dataJson = msg.data === undefined ? undefined : JSON.stringify(msg.data);
  return dataJson === undefined ? JSON.stringify(head(msg)) : encodeV2WithData(msg, dataJson);
}

/**
 * Splices `dataJson`, already serialized, after the other keys, so a notification's data is
 * stringified once and shared by every session it goes to (STYLE 5.3). The caller vouches that
 * `dataJson` is one valid JSON value.
 */
export function encodeV2WithData(msg: Omit<OutgoingMessage, 'data'>, dataJson: string): string {
  const prefix = JSON.stringify(head(msg));
  // `head` always has `id`, so the object is never empty and a comma is always needed.
  return `${prefix.slice(0, -1)},"data":${dataJson}}`;
}

/** The keys other than data, in wire order; `expires` is v1-only and never written here. */
function head(msg: Omit<OutgoingMessage, 'data'>): Record<string, string> {
  const out: Record<string, string> = { id: msg.id, message_type: msg.message_type };
  if (msg.target !== undefined) out['target'] = msg.target;
  if (msg.sender !== undefined) out['sender'] = msg.sender;
  if (msg.in_reply_to !== undefined) out['in_reply_to'] = msg.in_reply_to;
  return out;
}

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

function failure(detail: string, id?: string): Result<never> {
  return fail('DECODE_FAILED', detail, id);
}
