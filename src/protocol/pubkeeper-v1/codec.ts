import { fail, ok, type Result } from '../errors.js';
import { describeIssue } from '../pubkeeper/codec.js';
import { decodeV1Frame, encodeV1Frame, encodeV1FrameJson, fitsV1Frame, type V1Version } from './frame.js';
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
  /**
   * BREWER_NOTIFY `{patron_id, brewers}`, the entries given as their JSON text (each encoded once
   * and shared by every patron it goes to). One or more frames: v1.0 caps a payload at 64 KiB, so
   * a long list is split across notifies.
   */
  brewerNotify: (v: V1Version, patronId: string, entries: readonly string[]) =>
    notifyFrames(v, V1Packet.BREWER_NOTIFY, `{"patron_id":${JSON.stringify(patronId)},"brewers":[`, entries),
  /** PATRON_NOTIFY `{brewer_id, patrons}`, as brewerNotify. */
  patronNotify: (v: V1Version, brewerId: string, entries: readonly string[]) =>
    notifyFrames(v, V1Packet.PATRON_NOTIFY, `{"brewer_id":${JSON.stringify(brewerId)},"patrons":[`, entries),
};

/** The JSON text of one notify entry, exactly as `JSON.stringify` of the notify would write it. */
export const brewerEntryJson = (entry: BrewerEntry): string => JSON.stringify(entry);
export const patronEntryJson = (entry: PatronEntry): string => JSON.stringify(entry);

/**
 * `head` + the entries joined + `]}`: the same bytes as JSON.stringify of the whole payload. The
 * list is halved until each part fits the version's frame; a single entry that cannot fit a v1.0
 * frame on its own (a brewer_config over 64 KiB) is left out rather than failing the whole
 * notify: the other pairs still reach the client, and nothing in the registry is left half done.
 */
function notifyFrames(v: V1Version, id: number, head: string, entries: readonly string[]): Uint8Array[] {
  const json = `${head}${entries.join(',')}]}`;
  if (fitsV1Frame(v, Buffer.byteLength(json, 'utf8'))) return [encodeV1FrameJson(v, id, json)];
  if (entries.length <= 1) return [];
  const half = Math.ceil(entries.length / 2);
  return [...notifyFrames(v, id, head, entries.slice(0, half)), ...notifyFrames(v, id, head, entries.slice(half))];
}
