// Frame generators, one per surface: seeded valid frames built with the project's codecs, then
// mutated (tree, text, bytes and lying header fields), sent as the wrong frame kind, or replaced
// by random bytes and hostile strings.
import { BROKER_URI, MessageType } from '../../../src/protocol/pcp/message.js';
import { writeChunks } from '../../../src/protocol/pcp-v1/chunks.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { encodeV1Frame, encodeV1FrameJson, type V1Version } from '../../../src/protocol/pubkeeper-v1/frame.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { encodeBrewFrame, encodeRelayFrame, RelayFrameType, topicHash } from '../../../src/protocol/relay/codec.js';
import { anyValue, mutateBytes, mutateText, mutateTree, setKey, toJson } from './mutators.js';
import { fuzzString, type Rng } from './rng.js';
import { ATTACKER, BYSTANDER, V1_URI, V2_URI } from './setup.js';
import { binary, text, type OutFrame } from './socket.js';

const TOPICS = [
  'fz.a', 'fz.b', 'fz.a.b', 'fz.__proto__', 'fz.constructor', 'fz.é', 'fz.\ud800', 'fz.x.y.z', 'fz.a', 'fz.b',
  'by.json', 'by.pcp', 'by.v1', 'fz', 'fz.', 'fz..a', 'fz.*', 'fz.**', '**', '*', 'fz.a b', 'fz.\u0000', 'fz.\u0085',
  `fz.${'x'.repeat(260)}`, Array(33).fill('fz').join('.'), '',
];
const PATTERNS = [
  'fz.**', 'fz.*', 'fz.a', 'fz.a.**', 'fz.*.**', 'fz.**.*', 'fz.**.b.**.c', '**', 'by.**', 'by.*', '*.json', '**.fz',
  'fz.a*', 'fz.***', '', 'fz..**', `fz.${'é'.repeat(130)}`, Array(33).fill('*').join('.'), 'fz.\u2028',
];
const UUIDS = ['fz-1', 'fz-2', 'fz-3', '__proto__', 'constructor', 'by-json-1', 'by-pcp-1', 'by-v1-1', 'é', 'x'.repeat(128), 'x'.repeat(129), ''];
const PCP_TARGETS = [V2_URI, V1_URI, `pcp://${BYSTANDER}/watch`, `pcp://${BYSTANDER}/oldwatch`, 'pcp://*/agent', `pcp://${ATTACKER}/*`, 'pcp://nobody/agent', 'pcp:///server', 'pcp://a/b/c', 'http://x/y'];

// Frame generators.

function brewerObject(rng: Rng): Record<string, unknown> {
  const b: Record<string, unknown> = { uuid: rng.pick(UUIDS) };
  if (rng.chance(0.7)) b.hostname = rng.pick(['10.0.0.9', 'h', '']);
  if (rng.chance(0.7)) b.port = rng.pick([9899, 0, 65535, 70000, -1]);
  if (rng.chance(0.5)) b.protocol = rng.pick(['udp', 'websocket', 'pubkeeper-json', '']);
  if (rng.chance(0.2)) b.brews = [{ name: rng.pick(['websocket', 'udp', '']), hostname: 'h', port: 1 }];
  if (rng.chance(0.2)) b.brewer_config = rng.chance(0.8) ? { key: 'k' } : anyValue(rng);
  if (rng.chance(0.1)) setKey(b, '__proto__', { polluted: true });
  return b;
}

/** A §4 payload for `id` (what a client may send), shaped right or nearly. */
function jsonPayload(rng: Rng, id: number, tokens: readonly string[]): Record<string, unknown> {
  switch (id) {
    case Packet.AUTHENTICATE:
      return { token: rng.pick(tokens) };
    case Packet.BREWER_REGISTER:
      return { topic: rng.pick(TOPICS), brewer: brewerObject(rng) };
    case Packet.BREWER_UNREGISTER:
      return { topic: rng.pick(TOPICS), brewer: rng.chance(0.5) ? rng.pick(UUIDS) : brewerObject(rng) };
    case Packet.SUBSCRIBE:
    case Packet.UNSUBSCRIBE:
      return { topic: rng.pick(PATTERNS) };
    default:
      return { topic: rng.pick(TOPICS), brewer: brewerObject(rng), message: 'x' };
  }
}

export function jsonFrame(rng: Rng, tokens: readonly string[]): OutFrame {
  const id = rng.weighted<number>([[3, 1], [6, 10], [3, 11], [4, 20], [3, 21], [1, rng.pick([0, 2, 3, 12, 13, 99, -1, 1e6, 1.5])]]);
  const base = [id, jsonPayload(rng, id, tokens)];
  return rng.weighted<() => OutFrame>([
    [30, () => text(toJson(base))],
    [30, () => text(toJson(mutateTree(rng, base)))],
    [14, () => text(mutateText(rng, toJson(base)))],
    [6, () => binary(Buffer.from(toJson(base)))],
    [6, () => text(mutateBytes(rng, Buffer.from(toJson(base))))],
    [7, () => text(toJson(anyValue(rng)))],
    [4, () => text(fuzzString(rng))],
    [3, () => binary(rng.bytes(rng.int(64)))],
  ])();
}

function v1Payload(rng: Rng, id: number, tokens: readonly string[]): Record<string, unknown> {
  const brews = (): unknown[] => [{ name: rng.pick(['websocket', 'udp', 'pubkeeper-json', '']) }, ...(rng.chance(0.3) ? [{ name: 'x', extra: anyValue(rng) }] : [])];
  switch (id) {
    case V1Packet.CLIENT_AUTHENTICATE:
      return { token: rng.pick(tokens) };
    case V1Packet.BREWER_REGISTER:
      return { topic: rng.pick(TOPICS), brewer_id: rng.pick(UUIDS), brewer_config: { key: 'k', n: rng.int(9) }, brews: brews() };
    case V1Packet.BREWER_UNREGISTER:
      return { topic: rng.pick(TOPICS), brewer_id: rng.pick(UUIDS) };
    case V1Packet.PATRON_REGISTER:
      return { topic: rng.pick(PATTERNS), patron_id: rng.pick(UUIDS), brews: brews() };
    case V1Packet.PATRON_UNREGISTER:
      return { topic: rng.pick(PATTERNS), patron_id: rng.pick(UUIDS) };
    case V1Packet.BREWS_REGISTER:
      return { brews: ['websocket', { name: 'udp' }], bridge_mode: rng.chance(0.5) };
    case V1Packet.ERROR:
      return { message: anyValue(rng) };
    default:
      return { topic: rng.pick(TOPICS), patron_id: 'p', brewer_id: 'b', brewers: [] };
  }
}

const V1_HEADER_FIELDS = [
  { offset: 0, size: 2 },
  { offset: 2, size: 2 },
  { offset: 4, size: 1 },
  { offset: 5, size: 2 },
  { offset: 7, size: 1 },
] as const;

export function v1Frame(rng: Rng, version: V1Version, tokens: readonly string[]): OutFrame {
  const id = rng.weighted<number>([[3, 1], [5, 10], [3, 11], [5, 20], [3, 21], [1, 40], [1, 99], [1, rng.pick([0, 2, 12, 13, 22, 23, 65535])]]);
  const payload = v1Payload(rng, id, tokens);
  const encode = (pid: number, json: string): Buffer => {
    try {
      return Buffer.from(encodeV1FrameJson(version, pid, json));
    } catch {
      return Buffer.from(json); // a v1.0 payload over 64 KiB cannot be framed: send it raw
    }
  };
  const valid = (): Buffer => encode(id, toJson(payload));
  return rng.weighted<() => OutFrame>([
    [28, () => binary(valid())],
    [25, () => binary(encode(rng.chance(0.8) ? id : rng.int(100), toJson(mutateTree(rng, payload))))],
    [10, () => binary(encode(id, mutateText(rng, toJson(payload))))],
    [20, () => binary(mutateBytes(rng, valid(), V1_HEADER_FIELDS))],
    [6, () => (rng.chance(0.5) ? text(toJson(payload)) : text(valid()))],
    [6, () => binary(rng.bytes(rng.int(24)))],
    [5, () => binary(Buffer.concat([Buffer.from(encodeV1Frame(version, id, {})).subarray(0, 8), Buffer.from(toJson(anyValue(rng)))]))],
  ])();
}

const PCP_TYPES = [
  MessageType.ASSOCIATE_REQUEST, MessageType.INVENTORY_REQUEST, MessageType.PK_AUTHENTICATE, MessageType.PK_BREWER_REGISTER,
  MessageType.PK_BREWER_UNREGISTER, MessageType.PK_SUBSCRIBE, MessageType.PK_UNSUBSCRIBE, MessageType.PK_OK, MessageType.ERROR,
  'unknown/type', '', '__proto__', 'constructor', 'toString',
];

function pcpData(rng: Rng, type: string, tokens: readonly string[]): unknown {
  switch (type) {
    case MessageType.INVENTORY_REQUEST:
      return { query: [rng.pick(['pcp://*/*', `pcp://${ATTACKER}/*`, 'pcp://*/watch', 'pcp:///server', '*', 'pcp://a/b/c'])], ...(rng.chance(0.5) ? { subscribe: rng.chance(0.7) } : {}) };
    case MessageType.PK_AUTHENTICATE:
      return { token: rng.pick(tokens) };
    case MessageType.PK_BREWER_REGISTER:
      return jsonPayload(rng, Packet.BREWER_REGISTER, tokens);
    case MessageType.PK_BREWER_UNREGISTER:
      return jsonPayload(rng, Packet.BREWER_UNREGISTER, tokens);
    case MessageType.PK_SUBSCRIBE:
    case MessageType.PK_UNSUBSCRIBE:
      return { topic: rng.pick(PATTERNS) };
    default:
      return anyValue(rng);
  }
}

/** A v2 message (as an object): to the broker, or routed to a client URI. */
function pcpV2Base(rng: Rng, own: string, tokens: readonly string[]): Record<string, unknown> {
  const toBroker = rng.chance(0.6);
  const type = toBroker ? rng.pick(PCP_TYPES) : rng.pick(['x/y', 'example/ping', MessageType.ERROR, fuzzString(rng)]);
  const m: Record<string, unknown> = { id: rng.uuid(), message_type: type };
  if (!toBroker) m.target = rng.pick(PCP_TARGETS);
  else if (rng.chance(0.5)) m.target = BROKER_URI;
  if (rng.chance(0.3)) m.sender = rng.pick([own, own, `pcp://${BYSTANDER}/watch`, BROKER_URI]);
  if (rng.chance(0.2)) m.in_reply_to = rng.uuid();
  if (rng.chance(0.85)) m.data = pcpData(rng, type, tokens);
  return m;
}

export function pcpV2Frame(rng: Rng, tokens: readonly string[]): OutFrame {
  const base = pcpV2Base(rng, V2_URI, tokens);
  return rng.weighted<() => OutFrame>([
    [35, () => text(toJson(base))],
    [30, () => text(toJson(mutateTree(rng, base)))],
    [13, () => text(mutateText(rng, toJson(base)))],
    [6, () => binary(Buffer.from(toJson(base)))],
    [6, () => text(mutateBytes(rng, Buffer.from(toJson(base))))],
    [6, () => text(toJson(anyValue(rng)))],
    [4, () => (rng.chance(0.5) ? text(fuzzString(rng)) : binary(rng.bytes(rng.int(64))))],
  ])();
}

export const isoIn = (ms: number): string => new Date(Date.now() + ms).toISOString();

function pcpV1Envelope(rng: Rng, tokens: readonly string[]): Record<string, unknown> {
  const base = pcpV2Base(rng, V1_URI, tokens);
  const envelope: Record<string, unknown> = {
    id: base.id,
    message_type: base.message_type,
    expires: rng.weighted<string>([[8, isoIn(60_000)], [1, isoIn(-60_000)], [1, rng.pick(['2024-13-01T00:00:00Z', 'soon', '9999-12-31T23:59:59Z', '2024-01-01T00:00+99:99'])]]),
    targets: rng.weighted<unknown[]>([[6, [base.target ?? BROKER_URI]], [1, []], [1, [V1_URI, V2_URI]], [1, [rng.pick(PCP_TARGETS)]]]),
    sender: rng.chance(0.85) ? V1_URI : rng.pick([`pcp://${BYSTANDER}/oldwatch`, BROKER_URI, V2_URI]),
  };
  if (rng.chance(0.2)) envelope.destination_report = rng.chance(0.8) ? true : 'yes';
  if (rng.chance(0.2)) envelope['in-reply-to'] = rng.uuid();
  return envelope;
}

function chunk(descriptor: number, content: Uint8Array, lie = 0): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(descriptor, 0);
  head.writeInt32BE(content.length + lie, 1);
  return Buffer.concat([head, content]);
}

const PCP_V1_FIELDS = [
  { offset: 0, size: 1 },
  { offset: 1, size: 1 },
  { offset: 2, size: 4, bigEndian: true },
] as const;

export function pcpV1Frame(rng: Rng, tokens: readonly string[]): OutFrame {
  const envelope = pcpV1Envelope(rng, tokens);
  const type = String(envelope.message_type);
  const data = Buffer.from(rng.chance(0.85) ? toJson(pcpData(rng, type, tokens)) : '');
  const valid = (env: unknown = envelope, body: Uint8Array = data): Buffer => Buffer.from(writeChunks(Buffer.from(toJson(env)), body));
  return rng.weighted<() => OutFrame>([
    [30, () => binary(valid())],
    [22, () => binary(valid(mutateTree(rng, envelope)))],
    [8, () => binary(valid(envelope, Buffer.from(mutateText(rng, data.toString()))))],
    [8, () => binary(Buffer.concat([Buffer.from([1]), chunk(1, Buffer.from(mutateText(rng, toJson(envelope)))), chunk(2, data)]))],
    [14, () => binary(mutateBytes(rng, valid(), PCP_V1_FIELDS))],
    [6, () => binary(Buffer.concat([Buffer.from([1]), chunk(rng.pick([1, 0x11, 2, 0]), Buffer.from(toJson(envelope)), rng.range(-3, 3)), chunk(rng.int(256), data, rng.pick([0, 0, 1, -1, 1e6])), ...(rng.chance(0.5) ? [chunk(3, rng.bytes(8))] : [])]))],
    [6, () => (rng.chance(0.5) ? text(toJson(envelope)) : text(valid()))],
    [6, () => binary(rng.chance(0.5) ? rng.bytes(rng.int(40)) : Buffer.concat([Buffer.from([rng.pick([0, 1, 2, 255])]), rng.bytes(rng.int(40))]))],
  ])();
}

const RELAY_TOPICS = ['fz.r1', 'fz.r2', 'fz.r3', 'fz.é'];
const RELAY_FIELDS = [
  { offset: 0, size: 2 },
  { offset: 2, size: 2 },
  { offset: 36, size: 4 },
] as const;

export function relayFrame(rng: Rng): OutFrame {
  const topic = rng.pick(RELAY_TOPICS);
  const hash = rng.chance(0.85) ? topicHash(topic) : rng.bytes(32);
  const type = rng.weighted<RelayFrameType>([[3, RelayFrameType.JOIN], [2, RelayFrameType.LEAVE], [5, RelayFrameType.PUBLISH]]);
  const payload = type !== RelayFrameType.PUBLISH ? new Uint8Array(0) : rng.chance(0.6) ? encodeBrewFrame(topic, rng.bytes(16).toString('hex'), rng.bytes(rng.int(64))) : rng.bytes(rng.int(200));
  const valid = (): Buffer => Buffer.from(encodeRelayFrame(type, hash, payload));
  return rng.weighted<() => OutFrame>([
    [40, () => binary(valid())],
    [30, () => binary(mutateBytes(rng, valid(), RELAY_FIELDS))],
    [10, () => (rng.chance(0.5) ? text(valid()) : text(fuzzString(rng)))],
    [10, () => binary(rng.bytes(rng.int(80)))],
    [10, () => binary(Buffer.concat([valid(), rng.bytes(rng.range(1, 8))]))],
  ])();
}
