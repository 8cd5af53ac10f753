import { z } from 'zod';
import { MAX_UUID_LENGTH } from '../pubkeeper/packets.js';
import type { V1Version } from './frame.js';

/** Packet ids of the 1.x dialect (REFERENCE §1.5). SEGMENT_* are never sent nor accepted. */
export const V1Packet = {
  CLIENT_AUTHENTICATE: 1,
  CLIENT_AUTHENTICATED: 2,
  BREWER_REGISTER: 10,
  BREWER_UNREGISTER: 11,
  BREWER_NOTIFY: 12,
  BREWER_REMOVED: 13,
  PATRON_REGISTER: 20,
  PATRON_UNREGISTER: 21,
  PATRON_NOTIFY: 22,
  PATRON_REMOVED: 23,
  BREWS_REGISTER: 40,
  ERROR: 99,
} as const;

/** The subprotocols of the 1.x binary dialect, preferred first, and the framing each selects. */
export const V1_SUBPROTOCOLS = ['pubkeeper-1.1', 'pubkeeper-1.0'] as const;
const V1_VERSIONS: Readonly<Record<(typeof V1_SUBPROTOCOLS)[number], V1Version>> = { 'pubkeeper-1.1': '1.1', 'pubkeeper-1.0': '1.0' };

/** The framing version a negotiated subprotocol selects, or undefined when it is not a 1.x one. */
export function v1VersionOf(subprotocol: string): V1Version | undefined {
  return Object.hasOwn(V1_VERSIONS, subprotocol) ? V1_VERSIONS[subprotocol as keyof typeof V1_VERSIONS] : undefined;
}

const id = z.string().min(1).max(MAX_UUID_LENGTH);
/** A brew: the transport a brewer offers or a patron accepts, named (`websocket`, …). */
export const brewSchema = z.looseObject({ name: z.string().min(1).max(128) });
export type Brew = z.infer<typeof brewSchema>;

export const v1AuthenticateSchema = z.looseObject({ token: z.string() });
// The JS client sends brew names (strings); the Python one brew objects. Both are accepted.
export const v1BrewsRegisterSchema = z.looseObject({
  brews: z.array(z.union([z.string(), brewSchema], { error: 'must be a brew name or a brew object' })),
  bridge_mode: z.boolean().optional(),
});
export const v1BrewerRegisterSchema = z.looseObject({
  topic: z.string(),
  brewer_id: id,
  brewer_config: z.record(z.string(), z.unknown()),
  brews: z.array(brewSchema),
});
export const v1BrewerUnregisterSchema = z.looseObject({ topic: z.string(), brewer_id: id });
export const v1PatronRegisterSchema = z.looseObject({ topic: z.string(), patron_id: id, brews: z.array(brewSchema) });
export const v1PatronUnregisterSchema = z.looseObject({ topic: z.string(), patron_id: id });
/** Clients may report errors too (the Python client's "Action error"); an ERROR is never answered. */
export const v1ErrorSchema = z.looseObject({});

export const V1_CLIENT_PACKETS = {
  [V1Packet.CLIENT_AUTHENTICATE]: { name: 'CLIENT_AUTHENTICATE', schema: v1AuthenticateSchema },
  [V1Packet.BREWS_REGISTER]: { name: 'BREWS_REGISTER', schema: v1BrewsRegisterSchema },
  [V1Packet.BREWER_REGISTER]: { name: 'BREWER_REGISTER', schema: v1BrewerRegisterSchema },
  [V1Packet.BREWER_UNREGISTER]: { name: 'BREWER_UNREGISTER', schema: v1BrewerUnregisterSchema },
  [V1Packet.PATRON_REGISTER]: { name: 'PATRON_REGISTER', schema: v1PatronRegisterSchema },
  [V1Packet.PATRON_UNREGISTER]: { name: 'PATRON_UNREGISTER', schema: v1PatronUnregisterSchema },
  [V1Packet.ERROR]: { name: 'ERROR', schema: v1ErrorSchema },
} as const;

export type V1ClientPacketId = keyof typeof V1_CLIENT_PACKETS;
export type V1ClientMessage = {
  [K in V1ClientPacketId]: { id: K; payload: z.infer<(typeof V1_CLIENT_PACKETS)[K]['schema']> };
}[V1ClientPacketId];

/** Entries of the notifies, with exactly the keys the original clients read. */
export interface BrewerEntry {
  topic: string;
  brewer_id: string;
  brewer_config: Record<string, unknown>;
  brew: Brew;
}

export interface PatronEntry {
  topic: string;
  patron_id: string;
  brew: Brew;
}
