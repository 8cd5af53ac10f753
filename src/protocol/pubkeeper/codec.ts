import type { z } from 'zod';
import { fail, ok, type Result } from '../errors.js';
import { CLIENT_PACKETS, Packet, type ClientPacketId } from './packets.js';

/** A decoded client frame: the packet id and its validated payload. */
export type ClientMessage = {
  [K in ClientPacketId]: { id: K; payload: z.infer<(typeof CLIENT_PACKETS)[K]['schema']> };
}[ClientPacketId];

/** A frame whose envelope is sound and whose packet id the client may send; payload unchecked. */
export interface ClientEnvelope {
  id: ClientPacketId;
  payload: object;
}

/**
 * Text → typed message, or a coded error. Pure: no socket, no session. Binary frames never reach
 * here as text; the caller answers them with DECODE_FAILED.
 */
export function decodeClientFrame(text: string): Result<ClientMessage> {
  const envelope = decodeEnvelope(text);
  return envelope.ok ? validatePayload(envelope.value) : envelope;
}

/** Step one: `[packet, payload]` with a packet id the client may send. */
export function decodeEnvelope(text: string): Result<ClientEnvelope> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('DECODE_FAILED', 'frame is not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) {
    return fail('DECODE_FAILED', 'frame must be a JSON array [packet, payload]');
  }
  const [id, payload] = parsed as [unknown, unknown];
  if (typeof id !== 'number' || !Number.isInteger(id)) {
    return fail('DECODE_FAILED', 'packet must be an integer');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return fail('DECODE_FAILED', 'payload must be a JSON object');
  }
  if (!Object.hasOwn(CLIENT_PACKETS, id)) return fail('UNKNOWN_PACKET', String(id));
  return ok({ id: id as ClientPacketId, payload });
}

/**
 * Step two: the payload against its packet's schema; the error names the field. The payload
 * returned is the client's own object, not the validator's copy, so a brewer object is echoed
 * to subscribers exactly as registered, key order included.
 */
export function validatePayload(envelope: ClientEnvelope): Result<ClientMessage> {
  const checked = CLIENT_PACKETS[envelope.id].schema.safeParse(envelope.payload);
  if (!checked.success) return fail('INVALID_PAYLOAD', describeIssue(checked.error));
  return ok({ id: envelope.id, payload: envelope.payload } as ClientMessage);
}

/** Names the offending field in words we control, e.g. "brewer.uuid: expected string". */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? describe(issue, []) : 'payload';
}

function describe(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): string {
  const path = [...prefix, ...issue.path];
  const field = path.length > 0 ? path.join('.') : 'payload';
  switch (issue.code) {
    case 'invalid_type':
      return `${field} must be ${article(issue.expected)}`;
    case 'too_small':
    case 'too_big':
      return `${field} must be a string of 1 to 128 characters`;
    case 'invalid_union': {
      // A value of the right shape for one of the options, wrong inside (`brews.1.name`): name
      // the inner field. Otherwise the union's own wording, set where the schema is declared.
      const inner = issue.errors.flat().find((i) => i.path.length > 0);
      return inner ? describe(inner, path) : `${field} ${issue.message}`;
    }
    default:
      return `${field} is invalid`;
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

export function encodeServerFrame(id: number, payload: object): string {
  return JSON.stringify([id, payload]);
}

/** Constant frames are built once. */
export const AUTHENTICATED_TRUE = encodeServerFrame(Packet.AUTHENTICATED, { authenticated: true });
export const AUTHENTICATED_FALSE = encodeServerFrame(Packet.AUTHENTICATED, { authenticated: false });

export function encodeError(message: string): string {
  return encodeServerFrame(Packet.ERROR, { message });
}
