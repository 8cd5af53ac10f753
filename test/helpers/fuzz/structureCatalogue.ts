// The valid messages that the structure mutations start from, one per packet or message type, and
// what each of their fields may hold: protocol/pubkeeper.md PK-ERR-1, pubkeeper-v1.md PK1-ERR-1,
// pcp.md §2 (closed envelopes), PCP-INV-1 and PCP-PK-3, admin.md ADM-CMD-1.
import { BROKER_URI, MessageType, UUID_PATTERN } from '../../../src/protocol/pcp/message.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { isoIn } from './generators.js';
import type { Rng } from './rng.js';
import { depthOf, isBrew, isBrewer, isId, isRecord, isString, tableShape, type Path, type Shape } from './structure.js';

/** What a message does when the server accepts it, to hold the registry against afterwards. */
export type Effect = { kind: 'brewer'; key: string; json: string } | { kind: 'patron' | 'subscription'; key: string };

export interface Entry {
  readonly name: string;
  /** The packet id (JSON and 1.x dialects). */
  readonly id?: number;
  readonly base: unknown;
  readonly shape: Shape;
  /** From the payload as the server parses it (PCP: `data`). */
  readonly effect?: (payload: unknown) => Effect | undefined;
}

type Table = Record<string, (v: unknown) => boolean>;
const isUuid = (v: unknown): boolean => isString(v) && UUID_PATTERN.test(v);
const optional = (check: (v: unknown) => boolean) => (v: unknown) => v === undefined || check(v);
const isBool = (v: unknown): boolean => typeof v === 'boolean';
const isBrews = (v: unknown): boolean => Array.isArray(v) && v.every(isBrew);
const isIdOrBrewer = (v: unknown): boolean => isId(v) || isBrewer(v);
/** An object whose top-level fields (the table's keys without a dot) all pass. */
const has = (v: unknown, table: Table): boolean => isRecord(v) && Object.entries(table).every(([key, check]) => key.includes('.') || check(v[key]));
// pcp.md §2.1: one `/` after the authority, no white space or control character.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const isMessageUri = (v: unknown): boolean => isString(v) && /^pcp:\/\/[^/]*\/[^/]+$/.test(v) && !/[\s\u0000-\u001f\u007f-\u009f]/.test(v);
const isUriPattern = (v: unknown): boolean => isString(v) && /^pcp:\/\/(\*|[A-Za-z0-9._@-]{1,128})\/(\*|[A-Za-z0-9_.-]{1,64})$/.test(v);
const isSub = (v: unknown): boolean => isString(v) && /^[A-Za-z0-9._@-]{1,128}$/.test(v);
const isClientUri = (v: unknown): boolean => isString(v) && /^pcp:\/\/[A-Za-z0-9._@-]{1,128}\/[A-Za-z0-9_.-]{1,64}$/.test(v);
// pubkeeper.md §3, written out here so the oracle does not lean on the code it checks.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const isSegment = (s: string): boolean => s !== '' && !/[.*\s\u0000-\u001f\u007f-\u009f]/u.test(s);
const isLiteralTopic = (v: unknown): boolean => isString(v) && Buffer.byteLength(v) <= 255 && v.split('.').length <= 32 && v.split('.').every(isSegment);

const brewerEffect = (p: unknown): Effect | undefined =>
  isRecord(p) && isString(p.topic) && isBrewer(p.brewer) ? { kind: 'brewer', key: `${p.topic}\u0000${String((p.brewer as { uuid: string }).uuid)}`, json: JSON.stringify(p.brewer) } : undefined;
const subscriptionEffect = (p: unknown): Effect | undefined => (isRecord(p) && isString(p.topic) ? { kind: 'subscription', key: p.topic } : undefined);

// The discovery payloads, shared by the JSON dialect and PCP's pubkeeper/* data.
const REGISTER: Table = { topic: isString, brewer: isBrewer, 'brewer.uuid': isId };
const UNREGISTER: Table = { topic: isString, brewer: isIdOrBrewer, 'brewer.uuid': isId };
const TOPIC: Table = { topic: isString };
const BREWER = { uuid: 'fz-s-1', hostname: '10.0.0.9', port: 9899, protocol: 'udp', brews: [{ name: 'udp', port: 1 }], brewer_config: { key: 'k' } };

interface Discovery {
  name: string;
  id: number;
  messageType: string;
  payload: (token: string) => Record<string, unknown>;
  table: Table;
  effect?: Entry['effect'];
}

const DISCOVERY: readonly Discovery[] = [
  { name: 'AUTHENTICATE', id: Packet.AUTHENTICATE, messageType: MessageType.PK_AUTHENTICATE, payload: (token) => ({ token }), table: { token: isString } },
  { name: 'BREWER_REGISTER', id: Packet.BREWER_REGISTER, messageType: MessageType.PK_BREWER_REGISTER, payload: () => ({ topic: 'fz.reg', brewer: BREWER }), table: REGISTER, effect: brewerEffect },
  { name: 'BREWER_UNREGISTER (uuid)', id: Packet.BREWER_UNREGISTER, messageType: MessageType.PK_BREWER_UNREGISTER, payload: () => ({ topic: 'fz.reg', brewer: 'fz-nope' }), table: UNREGISTER },
  {
    name: 'BREWER_UNREGISTER (object)',
    id: Packet.BREWER_UNREGISTER,
    messageType: MessageType.PK_BREWER_UNREGISTER,
    payload: () => ({ topic: 'fz.reg', brewer: { uuid: 'fz-nope', hostname: 'h', extra: [{ a: 1 }] } }),
    table: UNREGISTER,
  },
  { name: 'SUBSCRIBE', id: Packet.SUBSCRIBE, messageType: MessageType.PK_SUBSCRIBE, payload: () => ({ topic: 'fz.sub.*' }), table: TOPIC, effect: subscriptionEffect },
  { name: 'UNSUBSCRIBE', id: Packet.UNSUBSCRIBE, messageType: MessageType.PK_UNSUBSCRIBE, payload: () => ({ topic: 'fz.none.*' }), table: TOPIC },
];

export function jsonCatalogue(token: string): Entry[] {
  return DISCOVERY.map((d) => ({ name: d.name, id: d.id, base: d.payload(token), shape: tableShape(d.table), ...(d.effect ? { effect: d.effect } : {}) }));
}

const V1_BREWS: Table = { brews: isBrews, 'brews.*': isBrew, 'brews.*.name': isId };

export function v1Catalogue(token: string): Entry[] {
  const brewer = (p: unknown): Effect | undefined =>
    has(p, { topic: isString, brewer_id: isId, brewer_config: isRecord, brews: isBrews })
      ? { kind: 'brewer', key: `${String((p as Record<string, unknown>).topic)}\u0000${String((p as Record<string, unknown>).brewer_id)}`, json: JSON.stringify({ uuid: (p as Record<string, unknown>).brewer_id, brewer_config: (p as Record<string, unknown>).brewer_config, brews: (p as Record<string, unknown>).brews }) }
      : undefined;
  const patron = (p: unknown): Effect | undefined =>
    has(p, { topic: isString, patron_id: isId, brews: isBrews }) ? { kind: 'patron', key: `${String((p as Record<string, unknown>).topic)}\u0000${String((p as Record<string, unknown>).patron_id)}` } : undefined;
  const brewsItem = (v: unknown): boolean => isString(v) || isBrew(v);
  return [
    { name: 'CLIENT_AUTHENTICATE', id: V1Packet.CLIENT_AUTHENTICATE, base: { token }, shape: tableShape({ token: isString }) },
    {
      name: 'BREWS_REGISTER',
      id: V1Packet.BREWS_REGISTER,
      base: { brews: ['websocket', { name: 'udp', x: 1 }], bridge_mode: false },
      shape: tableShape({ brews: (v) => Array.isArray(v) && v.every(brewsItem), 'brews.*': brewsItem, 'brews.*.name': isId, bridge_mode: optional(isBool) }),
    },
    {
      name: 'BREWER_REGISTER',
      id: V1Packet.BREWER_REGISTER,
      base: { topic: 'fz.reg', brewer_id: 'fz-v1-1', brewer_config: { key: 'k', nested: { a: [1] } }, brews: [{ name: 'websocket', hostname: '127.0.0.1', port: 1, secure: false }] },
      shape: tableShape({ topic: isString, brewer_id: isId, brewer_config: isRecord, ...V1_BREWS }),
      effect: brewer,
    },
    { name: 'BREWER_UNREGISTER', id: V1Packet.BREWER_UNREGISTER, base: { topic: 'fz.reg', brewer_id: 'fz-nope' }, shape: tableShape({ topic: isString, brewer_id: isId }) },
    {
      name: 'PATRON_REGISTER',
      id: V1Packet.PATRON_REGISTER,
      base: { topic: 'fz.pat.*', patron_id: 'fz-p-1', brews: [{ name: 'websocket' }, { name: 'udp', x: 1 }] },
      shape: tableShape({ topic: isString, patron_id: isId, ...V1_BREWS }),
      effect: patron,
    },
    { name: 'PATRON_UNREGISTER', id: V1Packet.PATRON_UNREGISTER, base: { topic: 'fz.none.*', patron_id: 'fz-nope' }, shape: tableShape({ topic: isString, patron_id: isId }) },
    { name: 'ERROR', id: V1Packet.ERROR, base: { message: 'x', detail: { a: [1] } }, shape: tableShape({}) },
  ];
}

/** The table of a sub-document, its keys under `prefix` (its root `` becomes `prefix` itself). */
const prefixed = (prefix: string, table: Table): Table => Object.fromEntries(Object.entries(table).map(([k, v]) => [k === '' ? prefix : `${prefix}.${k}`, v]));

interface BrokerSpec {
  name: string;
  messageType: string;
  data: unknown;
  /** What `data` may hold, keys relative to it; `` is data itself. */
  table: Table;
  effect?: Entry['effect'];
  /** Mutate the envelope too (its checks do not depend on the message type: done for two of them). */
  envelope?: boolean;
  /** Sent to the attacker's own URI instead of the broker: routed back to it. */
  routed?: boolean;
}

const INVENTORY: Table = {
  query: (v) => Array.isArray(v) && v.every(isUriPattern),
  'query.*': isUriPattern,
  subscribe: optional(isBool),
};

function brokerSpecs(token: string): BrokerSpec[] {
  return [
    { name: 'associate_request', messageType: MessageType.ASSOCIATE_REQUEST, data: { x: 1 }, table: {}, envelope: true },
    { name: 'inventory_request', messageType: MessageType.INVENTORY_REQUEST, data: { query: ['pcp://fzatk/*', 'pcp://*/agent'], subscribe: false }, table: { '': (v) => has(v, INVENTORY), ...INVENTORY } },
    ...DISCOVERY.map((d) => ({ name: d.messageType + d.name.replace(/^[A-Z_]+/, ''), messageType: d.messageType, data: d.payload(token), table: { '': (v: unknown) => has(v, d.table), ...d.table }, ...(d.effect ? { effect: d.effect } : {}) })),
    { name: 'routed to itself', messageType: 'fz/ping', data: { n: 1, list: [1, { a: 'b' }] }, table: {}, envelope: true, routed: true },
  ];
}

/** PCP v2 messages `{id, message_type, target, sender, in_reply_to, data}` from `own`. */
export function pcpV2Catalogue(rng: Rng, own: string, token: string): Entry[] {
  return brokerSpecs(token).map((spec) => {
    const base: Record<string, unknown> = { id: rng.uuid(), message_type: spec.messageType, target: spec.routed ? own : BROKER_URI };
    if (spec.routed) Object.assign(base, { sender: own, in_reply_to: rng.uuid() });
    base.data = spec.data;
    const envelope: Table = { id: isUuid, message_type: isString, target: optional(isMessageUri), sender: optional((v) => v === own), in_reply_to: optional(isUuid) };
    const table = { ...envelope, ...prefixed('data', spec.table) };
    const skip = (path: Path): boolean => !spec.envelope && path[0] !== 'data';
    return { name: spec.name, base, shape: tableShape(table, { closed: [''], skip }), ...(spec.effect ? { effect: spec.effect } : {}) };
  });
}

/** PCP v1 messages as `{envelope, data}`: the envelope chunk and the data chunk. */
export function pcpV1Catalogue(rng: Rng, own: string, token: string): Entry[] {
  return brokerSpecs(token).map((spec) => {
    const envelope: Record<string, unknown> = { id: rng.uuid(), message_type: spec.messageType, expires: isoIn(60_000), targets: [spec.routed ? own : BROKER_URI], sender: own };
    if (spec.routed) Object.assign(envelope, { destination_report: false, 'in-reply-to': rng.uuid() });
    const isIso = (v: unknown): boolean => isString(v) && /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v));
    const envelopeTable: Table = {
      '': (v) => has(v, envelopeTable) && Object.keys(v as object).every((k) => Object.hasOwn(envelopeTable, k)),
      id: isUuid,
      message_type: isString,
      expires: isIso,
      targets: (v) => Array.isArray(v) && v.every(isMessageUri),
      'targets.*': isMessageUri,
      sender: (v) => v === own,
      destination_report: optional(isBool),
      'in-reply-to': optional(isUuid),
    };
    const table = { ...prefixed('envelope', envelopeTable), ...prefixed('data', spec.table) };
    const skip = (path: Path, kind: string): boolean =>
      path.length === 0 || (path.length === 1 && path[0] === 'envelope' && kind === 'remove') || (!spec.envelope && path[0] !== 'data');
    return { name: spec.name, base: { envelope, data: spec.data }, shape: tableShape(table, { closed: ['envelope'], skip }), ...(spec.effect ? { effect: spec.effect } : {}) };
  });
}

// Admin commands (ADM-CMD-1): the payload objects are closed, a brewer object is not, and a payload
// nested more than 32 levels deep is refused.
const MAX_PAYLOAD_DEPTH = 32;
const KNOWN_COMMANDS = ['revoke token', 'unrevoke token', 'kick client', 'register static brewer', 'unregister static brewer'];
const exactlyOne = (v: unknown, table: Table): boolean => isRecord(v) && Object.keys(v).length === 1 && Object.entries(table).some(([k, check]) => Object.hasOwn(v, k) && check(v[k]));
const topicAndBrewer = (v: unknown, brewer: (b: unknown) => boolean): boolean =>
  isRecord(v) && Object.keys(v).every((k) => k === 'topic' || k === 'brewer') && isLiteralTopic(v.topic) && brewer(v.brewer);

export function adminCatalogue(): Entry[] {
  const jti = (v: unknown): boolean => isString(v) && v.length >= 1 && v.length <= 256;
  const specs: { payload: unknown; name: string; table: Table }[] = [
    { name: 'revoke token', payload: { jti: 'fz-jti-1' }, table: { payload: (v) => exactlyOne(v, { jti, sub: isSub }), 'payload.jti': jti } },
    { name: 'unrevoke_token', payload: { sub: 'fz-nobody' }, table: { payload: (v) => exactlyOne(v, { jti, sub: isSub }), 'payload.sub': isSub } },
    { name: 'kick client', payload: { uri: 'pcp://fz-nobody/agent' }, table: { payload: (v) => exactlyOne(v, { sub: isSub, uri: isClientUri }), 'payload.uri': isClientUri } },
    {
      name: 'register static brewer',
      // A brewer object is walked in depth by the JSON and PCP cases: here one loose field is enough,
      // as each accepted command costs a durable write.
      payload: { topic: 'fz.static', brewer: { uuid: 'fz-static-1', hostname: 'h' } },
      table: { payload: (v) => topicAndBrewer(v, isBrewer), 'payload.topic': isLiteralTopic, 'payload.brewer': isBrewer, 'payload.brewer.uuid': isId },
    },
    {
      name: 'unregister static brewer',
      payload: { topic: 'fz.static', brewer: 'fz-static-nope' },
      table: { payload: (v) => topicAndBrewer(v, isIdOrBrewer), 'payload.topic': isLiteralTopic, 'payload.brewer': isIdOrBrewer },
    },
  ];
  return specs.map(({ name, payload, table }, i) => {
    // `command`, `version` and the object around them are checked before the command is known:
    // mutated for the first command only (each request costs a token check and a round trip).
    const skip = (path: Path): boolean => i > 0 && path[0] !== 'payload';
    const shape = tableShape(
      { command: (v) => isString(v) && KNOWN_COMMANDS.includes(v.replace(/_/g, ' ')), version: (v) => v === 1, ...table },
      { closed: ['payload'], skip },
    );
    const check = (path: Path, v: unknown): boolean | undefined =>
      path[0] === 'payload' && depthOf(v) + path.length - 1 > MAX_PAYLOAD_DEPTH ? false : shape.check(path, v);
    return { name, base: { command: name, version: 1, payload }, shape: { ...shape, check } };
  });
}
