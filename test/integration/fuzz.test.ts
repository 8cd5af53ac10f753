// The promise of CONTRACT §6: "No session's fault, load or bad input may stop the server or touch
// another session's state." Each surface gets an attacker that sends seeded random and mutated
// frames (mutations of valid frames built with the project's codecs, random bytes, lying headers,
// wrong frame kinds, hostile strings and keys, deep nesting under the frame limit); bystanders on
// every dialect, opened before, must see nothing and keep working, and the process must still
// serve. Deterministic: one seed per run (FUZZ_SEED, FUZZ_FRAMES to go longer, FUZZ_VERBOSE=1 for
// what the server answered); the same seed makes the same choices (only token timestamps, `expires`
// and ws masking differ). No sleep anywhere: every wait is a request/response barrier on the socket
// concerned, or (after a close) a poll of the server's state.
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PcpClient } from '../../src/client/pcpClient.js';
import type { PubkeeperClient } from '../../src/client/pubkeeperClient.js';
import { BROKER_URI, MessageType, type PcpMessage } from '../../src/protocol/pcp/message.js';
import { writeChunks } from '../../src/protocol/pcp-v1/chunks.js';
import { decodeV1 } from '../../src/protocol/pcp-v1/codec.js';
import { decodeV2 } from '../../src/protocol/pcp-v2/codec.js';
import { decodeEnvelope } from '../../src/protocol/pubkeeper/codec.js';
import { Packet, SERVER_PACKETS } from '../../src/protocol/pubkeeper/packets.js';
import { decodeV1Envelope } from '../../src/protocol/pubkeeper-v1/codec.js';
import { decodeV1Frame, encodeV1Frame, encodeV1FrameJson, type V1Version } from '../../src/protocol/pubkeeper-v1/frame.js';
import { V1Packet } from '../../src/protocol/pubkeeper-v1/packets.js';
import {
  decodeRelayFrame,
  encodeBrewFrame,
  encodeRelayFrame,
  isRelayDecodeError,
  RELAY_SUBPROTOCOL,
  RelayFrameType,
  topicHash,
} from '../../src/protocol/relay/codec.js';
import { parseTopic } from '../../src/protocol/topic.js';
import { recordFrames } from '../helpers/frames.js';
import {
  anyValue,
  binary,
  CONTRACT_CLOSE_CODES,
  DEEP,
  deepJson,
  describeFrame,
  FuzzSocket,
  fuzzString,
  mutateBytes,
  mutateText,
  mutateTree,
  Rng,
  setKey,
  text,
  toJson,
  wireBytes,
  wireText,
  withDeep,
  type OutFrame,
  type Received,
} from '../helpers/fuzz.js';
import { nextMessage, recordMessages, V1Client } from '../helpers/pcp.js';
import { connect as relayConnect, eventually, type RelayClient } from '../helpers/relay.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { V1RawClient } from '../helpers/v1Client.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 300);
const MAX_FRAME_BYTES = 256 * 1024;

const CONFIG = {
  relayPort: 0,
  // High enough that the attacker is never cut for its errors: every frame must reach the code.
  maxErrorsPer10s: 100_000,
  maxFrameBytes: MAX_FRAME_BYTES,
  relayMaxFrameBytes: MAX_FRAME_BYTES,
  inventoryBatchMs: 10,
};

/**
 * A JSON value nested thousands of levels deep parses, but overflows the stack where the server
 * walks it; that is answered "Invalid payload: nested too deeply" (PCP: "Could not decode…" or
 * that text), never "Internal error", at any depth.
 */

// The attacker may only brew and subscribe under fz.**, and send to its own PCP URIs, so that a
// frame which happens to be valid has no legitimate effect on the bystanders (all under by.**).
const ATTACKER = 'fzatk';
const ATTACKER_RIGHTS = ['brew:fz.**', 'subscribe:fz.**', `send:pcp://${ATTACKER}/*`, 'inventory:pcp://*/*'];
const BYSTANDER = 'bystander';
const BYSTANDER_RIGHTS = ['brew:by.**', 'subscribe:by.**', `send:pcp://${BYSTANDER}/*`];
const V2_URI = `pcp://${ATTACKER}/v2atk`;
const V1_URI = `pcp://${ATTACKER}/v1atk`;
const ATTACKER_URIS = new Set([V2_URI, V1_URI]);

const BY_JSON = { uuid: 'by-json-1', hostname: '10.0.0.1', port: 9001, protocol: 'udp' };
const BY_PCP = { uuid: 'by-pcp-1', hostname: '10.0.0.2', port: 9002, protocol: 'udp' };

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

/** ERROR texts of CONTRACT §4 ("Internal error" is counted separately). */
const ERROR_PREFIXES = ['Unauthenticated Request', 'Lack Permissions for Request', 'Could not decode message', 'Unknown packet', 'Invalid payload', 'Limit exceeded', 'Internal error'];
const PCP_ERROR_TEXTS = ['Could not decode message', 'Message not authenticated.', 'Multiple recipients no longer supported.', 'Not connected.', 'Unknown message type.', ...ERROR_PREFIXES];
const BROKER_TYPES = new Set<string>([
  MessageType.ERROR, MessageType.UNAUTHORIZED, MessageType.TTL_EXPIRED, MessageType.DESTINATION_REPORT, MessageType.ASSOCIATE_RESPONSE,
  MessageType.INVENTORY_RESPONSE, MessageType.INVENTORY_UPDATE, MessageType.PK_OK, MessageType.PK_BREWER_NOTIFY, MessageType.PK_BREWER_REMOVED,
]);

interface Ctx {
  t: TestServer;
  relayPort: number;
  /** The attacker's own token (ATTACKER_RIGHTS). */
  token: string;
  /** What AUTHENTICATE frames carry on an authenticated session. */
  tokens: string[];
  /** The same for a session that starts unauthenticated: no token of anyone outside fz.**. */
  unauthTokens: string[];
}

function makeCtx(t: TestServer, relayPort: number, rng: Rng): Ctx {
  const token = t.keys.mint(ATTACKER, ATTACKER_RIGHTS);
  const now = Math.floor(Date.now() / 1000);
  const narrower = t.keys.mint(ATTACKER, ['brew:fz.a.**', 'subscribe:fz.a.**', `send:pcp://${ATTACKER}/*`]);
  const other = t.keys.mint('fzother', ['brew:fz.**', 'subscribe:fz.**']);
  const expired = t.keys.mint(ATTACKER, ATTACKER_RIGHTS, { ttlSeconds: 60, nowSeconds: now - 3600 });
  const [h, p, s] = token.split('.') as [string, string, string];
  const noneAlg = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
  const flipped = `${h}.${p}.${s.slice(0, -4)}AAAA`;
  const garbage = ['', 'x', 'a.b.c', noneAlg, flipped, `${h}.${p}`, `${token}.x`, 'é'.repeat(10), 'y'.repeat(9000), `${h}.${Buffer.from('[1]').toString('base64url')}.${s}`, fuzzString(rng)];
  const shared = [token, narrower, other, expired, ...garbage];
  return {
    t,
    relayPort,
    token,
    tokens: [...shared, t.keys.mint(BYSTANDER, BYSTANDER_RIGHTS)],
    unauthTokens: shared,
  };
}

// ---------------------------------------------------------------------------------------------
// Well-formedness of what the server sends to the attacker, per dialect.

const sortedKeys = (v: unknown): string => (typeof v === 'object' && v !== null ? Object.keys(v).sort().join(',') : `<${typeof v}>`);

function attackerTopic(topic: unknown): string | undefined {
  if (typeof topic !== 'string' || !parseTopic(topic, { wildcards: false }).ok) return `notification topic ${JSON.stringify(topic)} is not a literal topic`;
  // `fz.**` matches `fz` itself too (`**` is zero or more segments).
  if (topic !== 'fz' && !topic.startsWith('fz.')) return `notification for ${topic}, outside the attacker's rights`;
  return undefined;
}

function checkJson(r: Received): string | undefined {
  if (r.isBinary) return 'a binary frame on the JSON dialect';
  if (!isUtf8(r.data)) return 'a text frame that is not UTF-8';
  let frame: unknown;
  try {
    frame = JSON.parse(r.data.toString('utf8'));
  } catch {
    return 'a text frame that is not JSON';
  }
  if (!Array.isArray(frame) || frame.length !== 2) return 'not [packet, payload]';
  const [id, payload] = frame as [unknown, unknown];
  if (typeof id !== 'number' || !Object.hasOwn(SERVER_PACKETS, id)) return `packet ${String(id)} is not a server packet`;
  const spec = SERVER_PACKETS[id as keyof typeof SERVER_PACKETS];
  if (!spec.schema.safeParse(payload).success) return `${spec.name} does not match its schema`;
  const p = payload as Record<string, unknown>;
  const keys = { [Packet.AUTHENTICATED]: 'authenticated', [Packet.ERROR]: 'message', [Packet.BREWER_NOTIFY]: 'brewer,topic', [Packet.BREWER_REMOVED]: 'brewer,topic' }[id];
  if (sortedKeys(p) !== keys) return `${spec.name} has keys ${sortedKeys(p)}`;
  if (id === Packet.ERROR && !ERROR_PREFIXES.some((prefix) => String(p.message).startsWith(prefix))) return 'ERROR with an unknown text';
  if (id === Packet.BREWER_NOTIFY || id === Packet.BREWER_REMOVED) return attackerTopic(p.topic);
  return undefined;
}

const V1_KEYS: Record<number, string> = {
  [V1Packet.CLIENT_AUTHENTICATED]: 'authenticated',
  [V1Packet.ERROR]: 'message',
  [V1Packet.BREWER_NOTIFY]: 'brewers,patron_id',
  [V1Packet.BREWER_REMOVED]: 'brewer_id,patron_id,topic',
  [V1Packet.PATRON_NOTIFY]: 'brewer_id,patrons',
  [V1Packet.PATRON_REMOVED]: 'brewer_id,patron_id,topic',
};

function checkV1(version: V1Version): (r: Received) => string | undefined {
  return (r) => {
    if (!r.isBinary) return 'a text frame on the 1.x dialect';
    const decoded = decodeV1Frame(version, r.data);
    if (!decoded.ok) return `undecodable 1.x frame (${decoded.error.message})`;
    const { id, payload } = decoded.value;
    const keys = V1_KEYS[id];
    if (keys === undefined) return `packet ${id} is not a server packet`;
    if (sortedKeys(payload) !== keys) return `packet ${id} has keys ${sortedKeys(payload)}`;
    if (id === V1Packet.CLIENT_AUTHENTICATED && typeof payload.authenticated !== 'boolean') return 'authenticated is not a boolean';
    if (id === V1Packet.ERROR && !ERROR_PREFIXES.some((prefix) => String(payload.message).startsWith(prefix))) return 'ERROR with an unknown text';
    const entries = id === V1Packet.BREWER_NOTIFY ? payload.brewers : id === V1Packet.PATRON_NOTIFY ? payload.patrons : undefined;
    if (entries !== undefined) {
      if (!Array.isArray(entries)) return 'notify list is not an array';
      const entryKeys = id === V1Packet.BREWER_NOTIFY ? 'brew,brewer_config,brewer_id,topic' : 'brew,patron_id,topic';
      for (const entry of entries as unknown[]) {
        if (sortedKeys(entry) !== entryKeys) return `notify entry has keys ${sortedKeys(entry)}`;
        const e = entry as Record<string, unknown>;
        const brew = e.brew as Record<string, unknown> | null;
        if (typeof brew !== 'object' || brew === null || typeof brew.name !== 'string') return 'notify entry without a named brew';
        const wrong = attackerTopic(e.topic);
        if (wrong) return wrong;
      }
    }
    if (id === V1Packet.BREWER_REMOVED || id === V1Packet.PATRON_REMOVED) return attackerTopic(payload.topic);
    return undefined;
  };
}

function checkPcpMessage(m: PcpMessage, own: string): string | undefined {
  if (m.targets.length !== 1 || m.targets[0] !== own) return `target ${JSON.stringify(m.targets)} is not this client`;
  if (m.sender !== BROKER_URI) return ATTACKER_URIS.has(m.sender ?? '') ? undefined : `sender ${String(m.sender)} is not the broker or an attacker`;
  if (!BROKER_TYPES.has(m.message_type)) return `the broker sent ${m.message_type}`;
  if (m.message_type === MessageType.ERROR) {
    if (typeof m.data !== 'string' || !PCP_ERROR_TEXTS.some((p) => (m.data as string).startsWith(p))) return 'error_message with an unknown description';
  }
  if (m.message_type === MessageType.UNAUTHORIZED && m.data !== undefined) return 'unauthorized with data';
  if (m.message_type === MessageType.PK_BREWER_NOTIFY || m.message_type === MessageType.PK_BREWER_REMOVED) {
    return attackerTopic((m.data as { topic?: unknown } | undefined)?.topic);
  }
  return undefined;
}

function checkPcpV2(own: string): (r: Received) => string | undefined {
  return (r) => {
    if (r.isBinary) return 'a binary frame on PCP v2';
    if (!isUtf8(r.data)) return 'a text frame that is not UTF-8';
    const decoded = decodeV2(r.data.toString('utf8'));
    if (!decoded.ok) return `undecodable v2 message (${decoded.error.detail})`;
    return checkPcpMessage(decoded.message, own);
  };
}

function checkPcpV1(own: string): (r: Received) => string | undefined {
  return (r) => {
    if (!r.isBinary) return 'a text frame on PCP v1';
    const decoded = decodeV1(r.data);
    if (!decoded.ok) return `undecodable v1 message (${decoded.error.detail})`;
    return checkPcpMessage(decoded.message, own);
  };
}

const parsedV2 = (r: Received): PcpMessage | undefined => {
  if (r.isBinary) return undefined;
  const d = decodeV2(r.data.toString('utf8'));
  return d.ok ? d.message : undefined;
};
const parsedV1 = (r: Received): PcpMessage | undefined => {
  if (!r.isBinary) return undefined;
  const d = decodeV1(r.data);
  return d.ok ? d.message : undefined;
};

// ---------------------------------------------------------------------------------------------
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

function jsonFrame(rng: Rng, tokens: readonly string[]): OutFrame {
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

/** Does the server answer this frame with AUTHENTICATED? (An envelope `[1, {…}]` in a text frame.) */
function jsonAnswersAuthenticated(frame: OutFrame): boolean {
  if (frame.binary) return false;
  const textOf = wireText(frame);
  if (textOf === undefined) return false;
  const envelope = decodeEnvelope(textOf);
  return envelope.ok && envelope.value.id === Packet.AUTHENTICATE;
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

function v1Frame(rng: Rng, version: V1Version, tokens: readonly string[]): OutFrame {
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

function v1AnswersAuthenticated(version: V1Version, frame: OutFrame): boolean {
  if (!frame.binary) return false;
  const envelope = decodeV1Envelope(version, wireBytes(frame));
  return envelope.ok && envelope.value.id === V1Packet.CLIENT_AUTHENTICATE;
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

function pcpV2Frame(rng: Rng, tokens: readonly string[]): OutFrame {
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

const isoIn = (ms: number): string => new Date(Date.now() + ms).toISOString();

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

function pcpV1Frame(rng: Rng, tokens: readonly string[]): OutFrame {
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

function relayFrame(rng: Rng): OutFrame {
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

// ---------------------------------------------------------------------------------------------
// Attackers. Each sends FRAMES frames and then waits on a barrier that the server can only answer
// after it processed all of them; a deep-nesting phase follows, one frame per barrier.

interface DeepResult {
  rig: string;
  depth: number;
  frame: string;
  internal: boolean;
}

interface Rig {
  readonly name: string;
  /** Every socket the rig opened, for the final checks. */
  readonly sockets: FuzzSocket[];
  /** Frames answered "Internal error" outside the deep phase (must stay empty). */
  readonly internal: string[];
  readonly deepResults: DeepResult[];
  start(): Promise<void>;
  fuzz(frames: number): Promise<void>;
  deep(): Promise<void>;
  barrier(): Promise<void>;
  /** The socket that should be closed 1009 by a frame past the limit, if the rig keeps one open. */
  readonly main: FuzzSocket | undefined;
}

const DEPTHS = [50, 500, 1500, 2500, 5000, 20_000, 100_000];

/** A nested value as JSON text, small enough that a frame around it stays under the limit. */
function deepValue(rng: Rng): { deep: string; depth: number } | undefined {
  const kind = rng.pick(['array', 'object', 'mixed'] as const);
  const depth = rng.pick(DEPTHS);
  const deep = deepJson(kind, depth);
  // `mixed` nests an array and an object per step: twice the levels.
  return deep.length > MAX_FRAME_BYTES - 2048 ? undefined : { deep, depth: kind === 'mixed' ? 2 * depth : depth };
}

const JSON_DEEP_TEMPLATES = [
  [10, { topic: 'fz.deep', brewer: { uuid: 'fz-deep', x: DEEP } }],
  [10, { topic: 'fz.deep2', brewer: { uuid: 'fz-deep2', brews: [{ name: 'websocket', x: DEEP }] } }],
  [11, { topic: 'fz.deep', brewer: { uuid: 'fz-deep', x: DEEP } }],
  [20, { topic: DEEP }],
  [1, { token: DEEP }],
  [10, DEEP],
  DEEP,
];

/** The JSON dialect; `authenticated: false` starts every socket unauthenticated. */
class JsonRig implements Rig {
  readonly sockets: FuzzSocket[] = [];
  readonly internal: string[] = [];
  readonly deepResults: DeepResult[] = [];
  main: FuzzSocket | undefined;
  private expectedAuth = 0;
  readonly name: string;

  constructor(
    private readonly ctx: Ctx,
    private readonly rng: Rng,
    private readonly authenticated: boolean,
  ) {
    this.name = authenticated ? 'json' : 'json-unauth';
  }

  private readonly answered = new Map<FuzzSocket, number>();

  private authAnswers(s: FuzzSocket): number {
    return this.answered.get(s) ?? 0;
  }

  private async open(protocols: string[]): Promise<FuzzSocket> {
    const s = await FuzzSocket.open(`${this.name}#${this.sockets.length}`, this.ctx.t.url, protocols, checkJson);
    const marker = Buffer.from(`[${Packet.AUTHENTICATED},`);
    s.tap((r) => {
      if (!r.isBinary && r.data.subarray(0, marker.length).equals(marker)) this.answered.set(s, this.authAnswers(s) + 1);
    });
    this.sockets.push(s);
    this.expectedAuth = 0;
    return s;
  }

  async start(): Promise<void> {
    if (!this.authenticated) return;
    const s = await this.open(['pubkeeper.n.io']);
    expect(s.ws.protocol).toBe('pubkeeper.n.io');
    this.main = s;
    await this.barrierOn(s);
  }

  private send(s: FuzzSocket, frame: OutFrame): void {
    s.send(frame);
    if (jsonAnswersAuthenticated(frame)) this.expectedAuth++;
  }

  /** AUTHENTICATE with the attacker's token: its AUTHENTICATED is the last answer of the batch. */
  private async barrierOn(s: FuzzSocket): Promise<void> {
    this.send(s, text(JSON.stringify([Packet.AUTHENTICATE, { token: this.ctx.token }])));
    const expected = this.expectedAuth;
    await s.waitFor(() => this.authAnswers(s) >= expected, `AUTHENTICATED #${expected}`);
    expect(this.authAnswers(s), `${s.name}: one AUTHENTICATED per AUTHENTICATE`).toBe(expected);
  }

  private internalIn(s: FuzzSocket, from: number): boolean {
    return s.received.slice(from).some((r) => r.data.toString().startsWith('[99,{"message":"Internal error'));
  }

  async fuzz(frames: number): Promise<void> {
    if (this.authenticated && this.main) {
      const s = this.main;
      const from = s.received.length;
      const sent: string[] = [];
      for (let i = 0; i < frames; i++) {
        const frame = jsonFrame(this.rng, this.ctx.tokens);
        sent.push(describeFrame(frame));
        this.send(s, frame);
      }
      await this.barrierOn(s);
      if (this.internalIn(s, from)) this.internal.push(`${this.name}: "Internal error" among the answers to:\n${sent.join('\n')}`);
      return;
    }
    // Unauthenticated: three refused AUTHENTICATEs close 4001, so a socket carries at most two
    // before its barrier (which authenticates it), and the next batch gets a fresh socket.
    let s: FuzzSocket | undefined;
    let auths = 0;
    let from = 0;
    let sent: string[] = [];
    for (let i = 0; i < frames; i++) {
      s ??= await this.open(this.rng.chance(0.5) ? [] : ['pubkeeper.n.io']);
      const frame = jsonFrame(this.rng, this.ctx.unauthTokens);
      sent.push(describeFrame(frame));
      this.send(s, frame);
      if (jsonAnswersAuthenticated(frame)) auths++;
      if (auths === 2 || sent.length === 40 || i === frames - 1) {
        await this.barrierOn(s);
        if (this.internalIn(s, from)) this.internal.push(`${s.name}: "Internal error" among the answers to:\n${sent.join('\n')}`);
        await s.close(1000);
        s = undefined;
        auths = 0;
        from = 0;
        sent = [];
      }
    }
  }

  async deep(): Promise<void> {
    const s = this.main;
    if (!s) return;
    for (let i = 0; i < 10; i++) {
      const d = deepValue(this.rng);
      const template = this.rng.pick(JSON_DEEP_TEMPLATES);
      if (!d) continue;
      const json = withDeep(template, d.deep);
      const from = s.received.length;
      this.send(s, text(json));
      await this.barrierOn(s);
      this.deepResults.push({ rig: this.name, depth: d.depth, frame: json.slice(0, 80), internal: this.internalIn(s, from) });
    }
  }

  async barrier(): Promise<void> {
    if (this.main) await this.barrierOn(this.main);
  }
}

const V1_DEEP_TEMPLATES: readonly (readonly [number, unknown])[] = [
  [V1Packet.BREWER_REGISTER, { topic: 'fz.deep', brewer_id: 'fz-deep', brewer_config: { x: DEEP }, brews: [{ name: 'websocket' }] }],
  [V1Packet.PATRON_REGISTER, { topic: 'fz.**', patron_id: 'fz-deep', brews: [{ name: 'websocket', x: DEEP }] }],
  [V1Packet.ERROR, { message: DEEP }],
  [V1Packet.CLIENT_AUTHENTICATE, { token: DEEP }],
  [V1Packet.BREWS_REGISTER, { brews: DEEP }],
];

/** The 1.x binary dialect on /ws. */
class V1Rig implements Rig {
  readonly sockets: FuzzSocket[] = [];
  readonly internal: string[] = [];
  readonly deepResults: DeepResult[] = [];
  main: FuzzSocket | undefined;
  private expectedAuth = 0;
  readonly name: string;

  constructor(
    private readonly ctx: Ctx,
    private readonly rng: Rng,
    private readonly version: V1Version,
    private readonly authenticated: boolean,
  ) {
    this.name = `v1-${version}${authenticated ? '' : '-unauth'}`;
  }

  /** CLIENT_AUTHENTICATED frames received, counted as they come. */
  private answered = 0;

  async start(): Promise<void> {
    const protocol = this.version === '1.1' ? 'pubkeeper-1.1' : 'pubkeeper-1.0';
    const s = await FuzzSocket.open(this.name, this.ctx.t.url, [protocol], checkV1(this.version));
    s.tap((r) => {
      if (r.isBinary && r.data.length >= 2 && r.data.readUInt16LE(0) === V1Packet.CLIENT_AUTHENTICATED) this.answered++;
    });
    expect(s.ws.protocol).toBe(protocol);
    this.sockets.push(s);
    this.main = s;
    if (this.authenticated) await this.barrier();
  }

  private send(s: FuzzSocket, frame: OutFrame): void {
    s.send(frame);
    if (v1AnswersAuthenticated(this.version, frame)) this.expectedAuth++;
  }

  /** CLIENT_AUTHENTICATE is answered every time (never closing): its answer ends the batch. */
  async barrier(): Promise<void> {
    const s = this.main;
    if (!s) return;
    const token = this.authenticated ? this.ctx.token : 'not-a-token';
    this.send(s, binary(encodeV1Frame(this.version, V1Packet.CLIENT_AUTHENTICATE, { token })));
    const expected = this.expectedAuth;
    await s.waitFor(() => this.answered >= expected, `CLIENT_AUTHENTICATED #${expected}`);
    expect(this.answered, `${s.name}: one CLIENT_AUTHENTICATED per CLIENT_AUTHENTICATE`).toBe(expected);
  }

  private internalIn(s: FuzzSocket, from: number): boolean {
    return s.received.slice(from).some((r) => {
      const d = r.isBinary ? decodeV1Frame(this.version, r.data) : undefined;
      return d?.ok === true && d.value.id === V1Packet.ERROR && String(d.value.payload.message).startsWith('Internal error');
    });
  }

  async fuzz(frames: number): Promise<void> {
    const s = this.main;
    if (!s) return;
    const from = s.received.length;
    const sent: string[] = [];
    const tokens = this.authenticated ? this.ctx.tokens : this.ctx.unauthTokens;
    for (let i = 0; i < frames; i++) {
      const frame = v1Frame(this.rng, this.version, tokens);
      sent.push(describeFrame(frame));
      this.send(s, frame);
    }
    await this.barrier();
    if (this.internalIn(s, from)) this.internal.push(`${this.name}: "Internal error" among the answers to:\n${sent.join('\n')}`);
  }

  async deep(): Promise<void> {
    const s = this.main;
    if (!s) return;
    for (let i = 0; i < 8; i++) {
      const d = deepValue(this.rng);
      const [id, template] = this.rng.pick(V1_DEEP_TEMPLATES);
      if (!d) continue;
      const json = withDeep(template, d.deep);
      const from = s.received.length;
      try {
        this.send(s, binary(encodeV1FrameJson(this.version, id, json)));
      } catch {
        continue; // too big for a v1.0 frame
      }
      await this.barrier();
      this.deepResults.push({ rig: this.name, depth: d.depth, frame: json.slice(0, 80), internal: this.internalIn(s, from) });
    }
  }
}

const PCP_DEEP_TEMPLATES = (own: string): { message_type: string; target?: string; data: unknown }[] => [
  { message_type: 'x/y', target: own, data: DEEP },
  { message_type: MessageType.INVENTORY_REQUEST, data: { query: [DEEP] } },
  { message_type: MessageType.PK_BREWER_REGISTER, data: { topic: 'fz.deep', brewer: { uuid: 'fz-deep', x: DEEP } } },
  { message_type: MessageType.ASSOCIATE_REQUEST, data: DEEP },
  { message_type: MessageType.PK_SUBSCRIBE, data: { topic: DEEP } },
];

/** PCP v2 (JSON text) or v1 (binary chunks). */
class PcpRig implements Rig {
  readonly sockets: FuzzSocket[] = [];
  readonly internal: string[] = [];
  readonly deepResults: DeepResult[] = [];
  main: FuzzSocket | undefined;
  readonly name: string;
  private readonly uri: string;
  private barriers = 0;
  /** in_reply_to of every message received, collected as they come. */
  private readonly replies = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly rng: Rng,
    private readonly version: 'v1' | 'v2',
  ) {
    this.name = `pcp-${version}`;
    this.uri = version === 'v2' ? V2_URI : V1_URI;
  }

  private parse(r: Received): PcpMessage | undefined {
    return this.version === 'v2' ? parsedV2(r) : parsedV1(r);
  }

  async start(): Promise<void> {
    const type = this.version === 'v2' ? 'v2atk' : 'v1atk';
    const check = this.version === 'v2' ? checkPcpV2(this.uri) : checkPcpV1(this.uri);
    const s = await FuzzSocket.open(this.name, `${this.ctx.t.base}/pcp/${this.version}.0/${type}`, [], check, {
      headers: { authorization: `Bearer ${this.ctx.token}` },
    });
    s.tap((r) => {
      const inReplyTo = this.parse(r)?.in_reply_to;
      if (inReplyTo !== undefined) this.replies.add(inReplyTo);
    });
    this.sockets.push(s);
    this.main = s;
    await this.barrier();
  }

  private encode(message: Record<string, unknown>): OutFrame {
    if (this.version === 'v2') return text(toJson(message));
    const { data, target, in_reply_to: inReplyTo, ...rest } = message;
    const envelope = { ...rest, expires: isoIn(60_000), targets: [target ?? BROKER_URI], sender: this.uri, ...(inReplyTo ? { 'in-reply-to': inReplyTo } : {}) };
    return binary(writeChunks(Buffer.from(toJson(envelope)), Buffer.from(data === undefined ? '' : toJson(data))));
  }

  /** associate_request with a fresh id: the broker answers in order, in reply to that id. */
  async barrier(): Promise<void> {
    const s = this.main;
    if (!s) return;
    const id = `b0000000-0000-4000-8000-${String(++this.barriers).padStart(12, '0')}`;
    s.send(this.encode({ id, message_type: MessageType.ASSOCIATE_REQUEST, target: BROKER_URI }));
    await s.waitFor(() => this.replies.has(id), `associate_response to ${id}`);
  }

  private internalAnswers(s: FuzzSocket, from: number): PcpMessage[] {
    return s.received
      .slice(from)
      .map((r) => this.parse(r))
      .filter((m): m is PcpMessage => m?.sender === BROKER_URI && m.message_type === MessageType.ERROR && m.data === 'Internal error');
  }

  async fuzz(frames: number): Promise<void> {
    const s = this.main;
    if (!s) return;
    const from = s.received.length;
    const sent = new Map<string, string>();
    for (let i = 0; i < frames; i++) {
      const frame = this.version === 'v2' ? pcpV2Frame(this.rng, this.ctx.tokens) : pcpV1Frame(this.rng, this.ctx.tokens);
      s.send(frame);
      const id = /"id":"([0-9a-f-]{36})"/.exec(wireBytes(frame).toString('latin1'))?.[1];
      if (id) sent.set(id, describeFrame(frame));
    }
    await this.barrier();
    for (const m of this.internalAnswers(s, from)) {
      this.internal.push(`${this.name}: "Internal error" in reply to ${m.in_reply_to ?? '(no id)'}: ${sent.get(m.in_reply_to ?? '') ?? '(frame not identified)'}`);
    }
  }

  async deep(): Promise<void> {
    const s = this.main;
    if (!s) return;
    for (let i = 0; i < 8; i++) {
      const d = deepValue(this.rng);
      const { data, target, ...rest } = this.rng.pick(PCP_DEEP_TEMPLATES(this.uri));
      if (!d) continue;
      const head = { id: this.rng.uuid(), ...rest };
      let frame: OutFrame;
      if (this.version === 'v2') frame = text(withDeep({ ...head, ...(target ? { target } : {}), data }, d.deep));
      else {
        const envelope = { ...head, expires: isoIn(60_000), targets: [target ?? BROKER_URI], sender: this.uri };
        frame = binary(writeChunks(Buffer.from(toJson(envelope)), Buffer.from(withDeep(data, d.deep))));
      }
      const from = s.received.length;
      s.send(frame);
      await this.barrier();
      this.deepResults.push({ rig: this.name, depth: d.depth, frame: describeFrame(frame, 80), internal: this.internalAnswers(s, from).length > 0 });
    }
  }
}

/** The websocket brew relay: no authentication, no answers; a second socket proves the order. */
class RelayRig implements Rig {
  readonly sockets: FuzzSocket[] = [];
  readonly internal: string[] = [];
  readonly deepResults: DeepResult[] = [];
  main: FuzzSocket | undefined;
  readonly name = 'relay';
  /** Hex of every payload the attacker published: the only bytes the relay may send it. */
  private readonly published = new Set<string>();
  private helper: FuzzSocket | undefined;
  private readonly helperGot = new Set<string>();
  private barriers = 0;

  constructor(
    private readonly ctx: Ctx,
    private readonly rng: Rng,
  ) {}

  async start(): Promise<void> {
    const url = `ws://127.0.0.1:${this.ctx.relayPort}/`;
    const check = (r: Received): string | undefined => {
      if (!r.isBinary) return 'a text frame from the relay';
      return this.published.has(r.data.toString('hex')) ? undefined : 'bytes the attacker never published';
    };
    this.main = await FuzzSocket.open('relay', url, [RELAY_SUBPROTOCOL], check);
    this.helper = await FuzzSocket.open('relay-barrier', url, [RELAY_SUBPROTOCOL], (r) => (r.isBinary ? undefined : 'a text frame from the relay'));
    this.helper.tap((r) => this.helperGot.add(r.data.toString('hex')));
    this.sockets.push(this.main, this.helper);
    await this.barrier();
  }

  private send(frame: OutFrame): void {
    this.main?.send(frame);
    if (!frame.binary) return;
    const decoded = decodeRelayFrame(wireBytes(frame));
    if (!isRelayDecodeError(decoded) && decoded.type === RelayFrameType.PUBLISH) this.published.add(Buffer.from(decoded.payload).toString('hex'));
  }

  /**
   * The helper joins a fresh topic and the attacker publishes one value to it after its frames.
   * Whichever the relay handles first, the helper receives that value exactly once (live or as
   * the last value), and only after the relay has handled every earlier frame of the attacker.
   */
  async barrier(): Promise<void> {
    const helper = this.helper;
    if (!helper) return;
    const topic = `fz.barrier.${++this.barriers}`;
    const value = Buffer.from(encodeBrewFrame(topic, '0'.repeat(32), Buffer.from(topic)));
    helper.send(binary(encodeRelayFrame(RelayFrameType.JOIN, topicHash(topic))));
    this.send(binary(encodeRelayFrame(RelayFrameType.PUBLISH, topicHash(topic), value)));
    await helper.waitFor(() => this.helperGot.has(value.toString('hex')), `relay barrier ${topic}`);
  }

  async fuzz(frames: number): Promise<void> {
    for (let i = 0; i < frames; i++) this.send(relayFrame(this.rng));
    await this.barrier();
  }

  async deep(): Promise<void> {
    // Nothing in a relay frame is parsed as JSON.
  }
}

// ---------------------------------------------------------------------------------------------
// Bystanders: one per dialect, opened before the attack, each holding state the attack must not
// touch, and recording everything they receive from then on.

interface Bystanders {
  json: PubkeeperClient;
  jsonSeen: ReturnType<typeof recordFrames>;
  pcp: PcpClient;
  pcpSeen: ReturnType<typeof recordMessages>;
  oldPcp: V1Client;
  v1: V1RawClient;
  v1From: number;
  r1: RelayClient;
  r2: RelayClient;
  token: string;
}

async function pcpV1Request(client: V1Client, messageType: string, data?: unknown): Promise<PcpMessage> {
  const id = randomUUID();
  client.send({ id, message_type: messageType, target: BROKER_URI, expires: isoIn(60_000), ...(data === undefined ? {} : { data }) });
  return client.next((m) => m.in_reply_to === id);
}

async function openBystanders(t: TestServer, relayPort: number): Promise<Bystanders> {
  const token = t.keys.mint(BYSTANDER, BYSTANDER_RIGHTS);
  const json = await t.client(BYSTANDER, BYSTANDER_RIGHTS);
  await json.registerBrewer('by.json', BY_JSON);
  await json.subscribe('by.**');
  const pcp = await t.pcp(BYSTANDER, BYSTANDER_RIGHTS, { type: 'watch' });
  await pcp.registerBrewer('by.pcp', BY_PCP);
  await pcp.subscribe('by.**');
  const oldPcp = await V1Client.connect(t.base, token, BYSTANDER, 'oldwatch');
  expect((await pcpV1Request(oldPcp, MessageType.PK_SUBSCRIBE, { topic: 'by.**' })).message_type).toBe(MessageType.PK_OK);
  const v1 = await V1RawClient.connect(t.url, ['pubkeeper-1.1']);
  expect(await v1.authenticate(token)).toBe(true);
  v1.send(V1Packet.BREWER_REGISTER, {
    topic: 'by.v1',
    brewer_id: 'by-v1-1',
    brewer_config: { key: 'k' },
    brews: [{ name: 'websocket', hostname: '127.0.0.1', port: relayPort, secure: false }],
  });
  await v1.next((p) => p[0] === V1Packet.PATRON_NOTIFY && p[1].brewer_id === 'by-v1-1');
  v1.send(V1Packet.PATRON_REGISTER, { topic: 'by.**', patron_id: 'by-patron', brews: [{ name: 'websocket' }, { name: 'udp' }] });
  await v1.next((p) => p[0] === V1Packet.BREWER_NOTIFY && p[1].patron_id === 'by-patron');
  const r1 = await relayConnect(relayPort);
  const r2 = await relayConnect(relayPort);
  r1.join('by.relay');
  const hello = r2.publish('by.relay', 'hello');
  expect(await r1.next()).toEqual(hello);
  // Every notification the setup caused has arrived once each of them answered a barrier.
  await json.sync();
  await pcp.associate();
  await pcpV1Request(oldPcp, MessageType.ASSOCIATE_REQUEST);
  await v1.sync(token);
  oldPcp.received.splice(0);
  return { json, jsonSeen: recordFrames(json), pcp, pcpSeen: recordMessages(pcp), oldPcp, v1, v1From: v1.received.length, r1, r2, token };
}

/** The bystanders saw nothing, their state is whole, and each still works end to end. */
async function checkBystanders(t: TestServer, by: Bystanders, relayPort: number): Promise<void> {
  await by.json.sync();
  await by.pcp.associate();
  await pcpV1Request(by.oldPcp, MessageType.ASSOCIATE_REQUEST);
  await by.v1.sync(by.token);
  const after = by.r2.publish('by.relay', 'after');
  expect(await by.r1.next()).toEqual(after);

  expect(by.jsonSeen, 'JSON bystander received').toEqual([]);
  expect(by.pcpSeen.filter((m) => m.message_type !== MessageType.ASSOCIATE_RESPONSE), 'PCP v2 bystander received').toEqual([]);
  expect(by.oldPcp.received, 'PCP v1 bystander received').toEqual([]);
  expect(by.v1.received.slice(by.v1From).filter((p) => p[0] !== V1Packet.CLIENT_AUTHENTICATED), '1.x bystander received').toEqual([]);
  expect(by.r1.received.length, 'relay bystander received').toBe(2);
  for (const c of [by.json, by.pcp]) expect(c.closed).toBeUndefined();
  for (const ws of [by.oldPcp.socket, by.v1.socket, by.r1.ws, by.r2.ws]) expect(ws.readyState).toBe(ws.OPEN);

  const registry = t.server.hub.discovery.registry;
  expect(registry.ownerOf('by-json-1')).toBe(BYSTANDER);
  expect(registry.ownerOf('by-pcp-1')).toBe(BYSTANDER);
  expect(registry.ownerOf('by-v1-1')).toBe(BYSTANDER);
  expect(registry.get('by.json', 'by-json-1')?.brewer).toEqual(BY_JSON);
  expect(registry.get('by.pcp', 'by-pcp-1')?.brewer).toEqual(BY_PCP);
  expect(registry.get('by.v1', 'by-v1-1')?.owner.closed).toBe(false);

  // The process still serves: plain HTTP, a new session with a snapshot of exactly the bystanders'
  // brewers, and a new relay connection that gets the last value.
  expect((await fetch(`http://127.0.0.1:${t.port}/healthz`)).status).toBe(200);
  expect((await fetch(`http://127.0.0.1:${t.port}/metrics`)).status).toBe(200);
  const late = await t.client('late', ['subscribe:by.**']);
  const lateSeen = recordFrames(late);
  await late.subscribe('by.**');
  expect(lateSeen.map(([, p]) => p.topic).sort()).toEqual(['by.json', 'by.pcp', 'by.v1']);
  const r3 = await relayConnect(relayPort);
  r3.join('by.relay');
  expect(await r3.next()).toEqual(after);

  // And the bystanders' sessions still work: a new brewer reaches every one of them.
  const pcpNotify = nextMessage(by.pcp, (m) => m.message_type === MessageType.PK_BREWER_NOTIFY);
  await by.json.registerBrewer('by.after', { uuid: 'by-after', protocol: 'udp' });
  await late.sync();
  expect(by.jsonSeen).toEqual([[Packet.BREWER_NOTIFY, { topic: 'by.after', brewer: { uuid: 'by-after', protocol: 'udp' } }]]);
  expect(lateSeen.at(-1)?.[1].topic).toBe('by.after');
  expect((await pcpNotify).data).toEqual({ topic: 'by.after', brewer: { uuid: 'by-after', protocol: 'udp' } });
  expect((await by.oldPcp.next((m) => m.message_type === MessageType.PK_BREWER_NOTIFY)).data).toMatchObject({ topic: 'by.after' });
  const pair = await by.v1.next((p) => p[0] === V1Packet.BREWER_NOTIFY);
  expect(pair[1]).toMatchObject({ patron_id: 'by-patron', brewers: [{ topic: 'by.after', brewer_id: 'by-after' }] });
}

// ---------------------------------------------------------------------------------------------

type RigName = 'json' | 'json-unauth' | 'v1-1.1' | 'v1-1.0-unauth' | 'pcp-v2' | 'pcp-v1' | 'relay';

function makeRig(name: RigName, ctx: Ctx, rng: Rng): Rig {
  switch (name) {
    case 'json':
      return new JsonRig(ctx, rng, true);
    case 'json-unauth':
      return new JsonRig(ctx, rng, false);
    case 'v1-1.1':
      return new V1Rig(ctx, rng, '1.1', true);
    case 'v1-1.0-unauth':
      return new V1Rig(ctx, rng, '1.0', false);
    case 'pcp-v2':
      return new PcpRig(ctx, rng, 'v2');
    case 'pcp-v1':
      return new PcpRig(ctx, rng, 'v1');
    case 'relay':
      return new RelayRig(ctx, rng);
  }
}

const RIG_NAMES: RigName[] = ['json', 'json-unauth', 'v1-1.1', 'v1-1.0-unauth', 'pcp-v2', 'pcp-v1', 'relay'];

async function startFuzzServer(): Promise<{ t: TestServer; relayPort: number }> {
  const t = await startTestServer({ config: CONFIG });
  const relay = t.server.relay;
  if (!relay) throw new Error('the relay did not start');
  return { t, relayPort: relay.address().port };
}

/** Closes the rigs' sockets (a frame past the limit must close 1009), then checks nothing is left. */
async function endRigs(t: TestServer, rigs: Rig[]): Promise<void> {
  for (const rig of rigs) {
    const s = rig.main;
    if (!s || s.closedWith) continue;
    s.send(binary(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x5b)));
    expect((await s.closed()).code, `${s.name}: a frame past the limit`).toBe(1009);
  }
  for (const s of rigs.flatMap((r) => r.sockets)) await s.close(1000);
  const stale = (): unknown[] => [...t.server.hub.sessions].filter((s) => s.sub !== BYSTANDER && s.sub !== 'late');
  await eventually(() => stale().length === 0);
  // Nothing of the attackers is left in the registry: only the bystanders' three brewers and patron.
  expect(t.server.hub.discovery.registry.size).toBe(3);
  expect(t.server.hub.discovery.patrons.patronCount).toBe(1);
  expect(t.server.hub.discovery.subscriptionCount).toBe(3);
  await eventually(() => t.server.relay?.stats().connections === 2);
}

function checkRigs(rigs: Rig[], seed: number): void {
  const where = `(FUZZ_SEED=${seed})`;
  const violations = rigs.flatMap((r) => r.sockets.flatMap((s) => s.violations));
  expect(violations, `malformed frames from the server ${where}`).toEqual([]);
  const closes = rigs.flatMap((r) => r.sockets.map((s) => s.closeProblem())).filter((p) => p !== undefined);
  expect(closes, `close codes ${where}`).toEqual([]);
  expect(rigs.flatMap((r) => r.internal), `"Internal error" answers ${where}`).toEqual([]);
  const internalDeep = rigs.flatMap((r) => r.deepResults).filter((d) => d.internal);
  expect(internalDeep, `"Internal error" for deep nesting ${where}`).toEqual([]);
}

/** What the server answered, by kind: FUZZ_VERBOSE=1 prints it, to see what a seed reached. */
function summary(rigs: Rig[]): string {
  const lines: string[] = [];
  for (const rig of rigs) {
    const kinds = new Map<string, number>();
    for (const r of rig.sockets.flatMap((s) => s.received)) {
      let kind = r.isBinary ? `binary ${r.data.length > 1 ? r.data.readUInt16LE(0) : '?'}` : 'text';
      const textOf = r.data.toString('utf8');
      const pcp = parsedV2(r) ?? parsedV1(r);
      if (pcp) kind = `${pcp.message_type}${typeof pcp.data === 'string' ? ` ${pcp.data.split(':')[0]}` : ''}`;
      else if (!r.isBinary) kind = /^\[(\d+),(?:\{"message":"([^":]*))?/.exec(textOf)?.slice(1).filter(Boolean).join(' ') ?? 'text';
      else if (rig.name.startsWith('v1')) {
        const d = decodeV1Frame(rig.name.includes('1.0') ? '1.0' : '1.1', r.data);
        if (d.ok) kind = `${d.value.id}${d.value.id === V1Packet.ERROR ? ` ${String(d.value.payload.message).split(':')[0]}` : ''}`;
      }
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    lines.push(`${rig.name}: ${[...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}× ${k}`).join(', ')}`);
    for (const d of rig.deepResults) lines.push(`  deep ${d.depth}${d.internal ? ' INTERNAL' : ''}: ${d.frame}`);
  }
  return lines.join('\n');
}

async function attack(names: RigName[], seed: number): Promise<Rig[]> {
  const { t, relayPort } = await startFuzzServer();
  const by = await openBystanders(t, relayPort);
  const ctx = makeCtx(t, relayPort, new Rng(seed));
  const rigs = names.map((name, i) => makeRig(name, ctx, new Rng(seed * 31 + i + 1)));
  for (const rig of rigs) await rig.start();
  await Promise.all(rigs.map((rig) => rig.fuzz(FRAMES)));
  for (const rig of rigs) await rig.deep();
  // A last barrier on every socket, one after the other: whatever one attacker's frames made the
  // server send to another has arrived by then.
  for (const rig of rigs) await rig.barrier();
  if (process.env.FUZZ_VERBOSE) console.log(`seed ${seed}\n${summary(rigs)}`);
  checkRigs(rigs, seed);
  await endRigs(t, rigs);
  checkRigs(rigs, seed);
  await checkBystanders(t, by, relayPort);
  return rigs;
}

describe('fuzz: no input crashes the process or touches another session', () => {
  for (const name of RIG_NAMES) {
    it(`${name}: ${FRAMES} seeded random and mutated frames`, async () => {
      await attack([name], SEED + RIG_NAMES.indexOf(name));
    });
  }

  it(`every dialect at once: ${FRAMES} frames each, interleaved`, async () => {
    await attack(RIG_NAMES, SEED + 100);
  });

  it('HTTP upgrades: random paths, tokens and headers get a status, never a PCP session without a valid token', async () => {
    const { t, relayPort } = await startFuzzServer();
    const by = await openBystanders(t, relayPort);
    const rng = new Rng(SEED + 200);
    const ctx = makeCtx(t, relayPort, rng);
    const valid = t.keys.mint('fzup', ['send:pcp://fzup/*']);
    // Header values and query strings only carry what HTTP can: printable ASCII (and Latin-1).
    const tokens = [valid, 'é'.repeat(10), ...ctx.unauthTokens.filter((tk) => tk !== ctx.token && tk.length < 4000 && /^[\x20-\x7e]*$/.test(tk))];
    const types = ['agent', 'server', '', 'a'.repeat(65), '%E0%A4%A', '%2e%2e', 'a%2Fb', '..', 'ag%20ent', '%C3%A9', 'a.b-c_d', '*', '%00'];
    const problems: string[] = [];
    for (let i = 0; i < 60; i++) {
      const toRelay = rng.chance(0.2);
      const path = toRelay
        ? rng.pick(['/', '/?x=1', '/ws', '//', '/%2F'])
        : rng.pick([`/pcp/v2.0/${rng.pick(types)}`, `/pcp/v1.0/${rng.pick(types)}`, '/pcp/v3.0/agent', '/pcp/', '/pcp/v2.0/a/b', '/ws', '/ws?token=x', '/', '/pcp']);
      const token = rng.pick(tokens);
      const headers: Record<string, string> = {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': rng.chance(0.9) ? '13' : rng.pick(['8', '', 'x']),
        'Sec-WebSocket-Key': rng.chance(0.9) ? rng.bytes(16).toString('base64') : rng.pick(['short', '']),
      };
      const protocol = rng.pick(['', 'pubkeeper-1.1', 'pubkeeper-1.0', 'pubkeeper.n.io', 'pubkeeper-1.0.0', 'a,,b', 'pubkeeper-1.1, pubkeeper.n.io', 'x', 'v-1.0']);
      if (protocol) headers['Sec-WebSocket-Protocol'] = protocol;
      const place = rng.pick(['header', 'query', 'both', 'none', 'odd'] as const);
      const offered: string[] = [];
      if (place === 'header' || place === 'both') {
        headers.Authorization = `Bearer ${token}`;
        offered.push(token);
      }
      if (place === 'odd') headers.Authorization = rng.pick([`Basic ${token}`, 'Bearer', `bearer  ${token}  `, `Bearer ${token} x`]);
      if (place === 'odd' && headers.Authorization === `bearer  ${token}  `) offered.push(token);
      let fullPath = path;
      if (place === 'query' || place === 'both') {
        fullPath += `${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
        offered.push(token);
      }
      const status = await upgradeStatus(toRelay ? relayPort : t.port, fullPath, headers);
      const label = `${toRelay ? 'relay' : 'main'} ${fullPath.slice(0, 60)} ${place} ${protocol} -> ${status}`;
      const allowed = toRelay ? [101, 400, 404] : [101, 400, 401, 403, 404];
      if (!allowed.includes(status)) problems.push(`unexpected status: ${label}`);
      if (!toRelay && status === 101 && fullPath.startsWith('/pcp/') && !offered.some((tk) => t.server.hub.verify(tk).ok)) {
        problems.push(`a PCP session without a valid token: ${label}`);
      }
    }
    // Raw bytes that are not HTTP at all, on both ports.
    for (let i = 0; i < 10; i++) {
      const head = rng.pick(['', 'GET / HTTP/1.1\r\n', 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n', '\r\n\r\n']);
      await rawExchange(rng.chance(0.5) ? t.port : relayPort, Buffer.concat([Buffer.from(head), rng.bytes(rng.int(200))]));
    }
    expect(problems, `(FUZZ_SEED=${SEED + 200})`).toEqual([]);
    await eventually(() => [...t.server.hub.sessions].every((s) => s.sub === BYSTANDER));
    await checkBystanders(t, by, relayPort);
  });

  it('raw WebSocket framing: bad opcodes, reserved bits, unmasked and lying frames, odd close frames', async () => {
    const { t, relayPort } = await startFuzzServer();
    const by = await openBystanders(t, relayPort);
    const rng = new Rng(SEED + 300);
    const token = t.keys.mint('fzraw', ['brew:fz.**']);
    const problems: string[] = [];
    for (let i = 0; i < 40; i++) {
      const target = rng.pick([
        { port: t.port, path: '/ws', protocol: '' },
        { port: t.port, path: '/ws', protocol: 'pubkeeper-1.1' },
        { port: t.port, path: `/pcp/v2.0/raw${i}?token=${token}`, protocol: '' },
        { port: t.port, path: `/pcp/v1.0/raw${i}?token=${token}`, protocol: '' },
        { port: relayPort, path: '/', protocol: RELAY_SUBPROTOCOL },
      ]);
      const frames: Buffer[] = [];
      let sentClose: number | undefined;
      for (let n = rng.range(1, 3); n > 0; n--) {
        const kind = rng.int(5);
        if (kind === 0) frames.push(rng.bytes(rng.range(1, 40)));
        else if (kind === 1) {
          const code = rng.pick([1000, 1001, 1002, 1005, 1006, 999, 3000, 4000, 4999, 5000, 65535]);
          const reason = rng.chance(0.5) ? Buffer.from('bye') : Buffer.alloc(0);
          frames.push(wsFrame(rng, 8, Buffer.concat([u16(code), reason])));
          sentClose ??= code;
        } else {
          const opcode = rng.chance(0.6) ? rng.pick([1, 2]) : rng.int(16);
          const payload = rng.chance(0.5) ? Buffer.from('[1,{"token":"x"}]') : rng.bytes(rng.int(140));
          frames.push(wsFrame(rng, opcode, payload, { rsv: rng.chance(0.2) ? rng.range(1, 7) : 0, fin: rng.chance(0.9), masked: rng.chance(0.9), lie: rng.chance(0.15) }));
        }
      }
      const codes = await rawWebSocket(target.port, target.path, target.protocol, Buffer.concat(frames));
      // ws answers a framing violation with 1002 (RFC 6455 §7.4.1) and echoes a client's valid
      // close code; neither is the server's own choice, so both sit beside the contract's list.
      for (const code of codes) {
        if (!CONTRACT_CLOSE_CODES.has(code) && code !== 1002 && code !== sentClose) problems.push(`${target.path.slice(0, 12)}: closed ${code}`);
      }
    }
    expect(problems, `(FUZZ_SEED=${SEED + 300})`).toEqual([]);
    await eventually(() => [...t.server.hub.sessions].every((s) => s.sub === BYSTANDER));
    await checkBystanders(t, by, relayPort);
  });
});

// ---------------------------------------------------------------------------------------------
// Raw HTTP and WebSocket plumbing for the last two tests.

function upgradeStatus(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Writes bytes, half-closes, and resolves when the server has closed the connection. */
function rawExchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket: Socket = netConnect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => reject(new Error('raw connection not closed in time')), 8000).unref();
  });
}

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

/** One client frame; `lie` makes the length field claim more than follows. */
function wsFrame(rng: Rng, opcode: number, payload: Buffer, o: { rsv?: number; fin?: boolean; masked?: boolean; lie?: boolean } = {}): Buffer {
  const { rsv = 0, fin = true, masked = true, lie = false } = o;
  const length = lie ? payload.length + rng.range(1, 100) : payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | (opcode & 0x0f)];
  if (length < 126) head.push((masked ? 0x80 : 0) | length);
  else head.push((masked ? 0x80 : 0) | 126, length >> 8, length & 0xff);
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const key = rng.bytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ (key[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/**
 * Upgrades by hand, writes `bytes` after the handshake, half-closes, and returns the close codes
 * of the server's close frames (none when it only dropped the connection).
 */
async function rawWebSocket(port: number, path: string, protocol: string, bytes: Buffer): Promise<number[]> {
  const key = Buffer.from('0123456789abcdef').toString('base64');
  const handshake = `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ''}\r\n`;
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wrote = false;
    const socket: Socket = netConnect(port, '127.0.0.1', () => socket.write(handshake));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (!wrote && all.includes('\r\n\r\n')) {
        wrote = true;
        if (!all.subarray(0, 12).toString().includes('101')) reject(new Error(`upgrade refused: ${all.subarray(0, 40).toString()}`));
        socket.end(bytes);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => reject(new Error('raw WebSocket not closed in time')), 8000).unref();
  });
  const body = reply.subarray(reply.indexOf('\r\n\r\n') + 4);
  const codes: number[] = [];
  let at = 0;
  while (at + 2 <= body.length) {
    const opcode = (body[at] ?? 0) & 0x0f;
    let length = (body[at + 1] ?? 0) & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = body.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      length = Number(body.readBigUInt64BE(start));
      start += 8;
    }
    if (opcode === 8 && length >= 2) codes.push(body.readUInt16BE(start));
    at = start + length;
  }
  return codes;
}
