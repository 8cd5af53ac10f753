import { fail, ok, type Result } from '../errors.js';
import { describeIssue } from '../pubkeeper/codec.js';
import { decodeV1Frame, encodeV1Frame, type V1Version } from './frame.js';
import { V1_CLIENT_PACKETS, V1Packet, type BrewerEntry, type PatronEntry, type V1ClientMessage, type V1ClientPacketId } from './packets.js';

export interface V1Envelope {
  id: V1ClientPacketId;
  payload: Record<string, unknown>;
}

/** Step one: header, JSON, and a packet id the client may send. */
export function decodeV1Envelope(version: V1Version, bytes: Uint8Array): Result<V1Envelope> {
  const frame = decodeV1Frame(version, bytes);
  if (!frame.ok) return frame;
  if (!Object.hasOwn(V1_CLIENT_PACKETS, frame.value.id)) return fail('UNKNOWN_PACKET', String(frame.value.id));
  return ok({ id: frame.value.id as V1ClientPacketId, payload: frame.value.payload });
}

/** Step two: the payload's keys; the client's own object is kept (echoed as registered). */
export function validateV1Payload(envelope: V1Envelope): Result<V1ClientMessage> {
  const checked = V1_CLIENT_PACKETS[envelope.id].schema.safeParse(envelope.payload);
  if (!checked.success) return fail('INVALID_PAYLOAD', describeIssue(checked.error));
  return ok({ id: envelope.id, payload: envelope.payload } as V1ClientMessage);
}

/** Server packets, built with exactly the keys the original clients read and no other. */
export const encodeV1 = {
  authenticated: (v: V1Version, authenticated: boolean) => encodeV1Frame(v, V1Packet.CLIENT_AUTHENTICATED, { authenticated }),
  error: (v: V1Version, message: string) => encodeV1Frame(v, V1Packet.ERROR, { message }),
  brewerRemoved: (v: V1Version, topic: string, patronId: string, brewerId: string) =>
    encodeV1Frame(v, V1Packet.BREWER_REMOVED, { topic, patron_id: patronId, brewer_id: brewerId }),
  patronRemoved: (v: V1Version, topic: string, brewerId: string, patronId: string) =>
    encodeV1Frame(v, V1Packet.PATRON_REMOVED, { topic, brewer_id: brewerId, patron_id: patronId }),
  /** One or more frames: v1.0 caps a payload at 64 KiB, so a long list is split across notifies. */
  brewerNotify: (v: V1Version, patronId: string, brewers: BrewerEntry[]) =>
    splitList(brewers, (list) => encodeV1Frame(v, V1Packet.BREWER_NOTIFY, { patron_id: patronId, brewers: list })),
  patronNotify: (v: V1Version, brewerId: string, patrons: PatronEntry[]) =>
    splitList(patrons, (list) => encodeV1Frame(v, V1Packet.PATRON_NOTIFY, { brewer_id: brewerId, patrons: list })),
};

/**
 * Halves a list until each part fits the version's frame. A single entry that cannot fit a v1.0
 * frame on its own (a brewer_config over 64 KiB) is left out rather than failing the whole
 * notify: the other pairs still reach the client, and nothing in the registry is left half done.
 */
function splitList<T>(entries: T[], encode: (list: T[]) => Uint8Array): Uint8Array[] {
  try {
    return [encode(entries)];
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    if (entries.length <= 1) return [];
  }
  const half = Math.ceil(entries.length / 2);
  return [...splitList(entries.slice(0, half), encode), ...splitList(entries.slice(half), encode)];
}
