import { z } from 'zod';

/** Packet ids of the JSON dialect (CONTRACT §4): 1, 2, 10–13 as v1; 20/21 subscribe. */
export const Packet = {
  AUTHENTICATE: 1,
  AUTHENTICATED: 2,
  BREWER_REGISTER: 10,
  BREWER_UNREGISTER: 11,
  BREWER_NOTIFY: 12,
  BREWER_REMOVED: 13,
  SUBSCRIBE: 20,
  UNSUBSCRIBE: 21,
  ERROR: 99,
} as const;

export type PacketId = (typeof Packet)[keyof typeof Packet];

/** The subprotocol a JSON-dialect client may offer; the server echoes it (CONTRACT §4). */
export const JSON_SUBPROTOCOL = 'pubkeeper.n.io';

export const MAX_UUID_LENGTH = 128;

// Payloads are loose objects: 0.x clients pass keyword arguments and may add keys we ignore.
// The brewer object itself is kept whole, as registered, because subscribers receive it back.
export const uuidSchema = z.string().min(1).max(MAX_UUID_LENGTH).describe('Brewer id, unique per owning client');
export const brewerSchema = z
  .looseObject({ uuid: uuidSchema })
  .describe('Where the stream can be reached (hostname, port, protocol…); echoed to subscribers as registered');
const literalTopic = z.string().describe('A literal topic: segments joined by "." (see protocol/pubkeeper.md)');
const topicPattern = z.string().describe('A topic pattern: literal segments, "*" (one segment), "**" (zero or more)');

export const authenticateSchema = z.looseObject({ token: z.string() });
export const brewerRegisterSchema = z.looseObject({ topic: literalTopic, brewer: brewerSchema });
export const brewerUnregisterSchema = z.looseObject({
  topic: literalTopic,
  brewer: z.union([uuidSchema, brewerSchema], { error: 'must be a uuid string or a brewer object' }),
});
export const subscribeSchema = z.looseObject({ topic: topicPattern });
export const unsubscribeSchema = subscribeSchema;

export const authenticatedSchema = z.object({ authenticated: z.boolean() });
export const brewerEventSchema = z.object({ topic: literalTopic, brewer: brewerSchema });
export const errorSchema = z.object({ message: z.string() });

export type Brewer = z.infer<typeof brewerSchema>;
export type AuthenticatePayload = z.infer<typeof authenticateSchema>;
export type BrewerRegisterPayload = z.infer<typeof brewerRegisterSchema>;
export type BrewerUnregisterPayload = z.infer<typeof brewerUnregisterSchema>;
export type SubscribePayload = z.infer<typeof subscribeSchema>;

/** What the client may send, with the schema its payload must satisfy. */
export const CLIENT_PACKETS = {
  [Packet.AUTHENTICATE]: { name: 'AUTHENTICATE', schema: authenticateSchema },
  [Packet.BREWER_REGISTER]: { name: 'BREWER_REGISTER', schema: brewerRegisterSchema },
  [Packet.BREWER_UNREGISTER]: { name: 'BREWER_UNREGISTER', schema: brewerUnregisterSchema },
  [Packet.SUBSCRIBE]: { name: 'SUBSCRIBE', schema: subscribeSchema },
  [Packet.UNSUBSCRIBE]: { name: 'UNSUBSCRIBE', schema: unsubscribeSchema },
} as const;

/** What the server sends. */
export const SERVER_PACKETS = {
  [Packet.AUTHENTICATED]: { name: 'AUTHENTICATED', schema: authenticatedSchema },
  [Packet.BREWER_NOTIFY]: { name: 'BREWER_NOTIFY', schema: brewerEventSchema },
  [Packet.BREWER_REMOVED]: { name: 'BREWER_REMOVED', schema: brewerEventSchema },
  [Packet.ERROR]: { name: 'ERROR', schema: errorSchema },
} as const;

export type ClientPacketId = keyof typeof CLIENT_PACKETS;
