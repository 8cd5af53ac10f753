// Well-formedness of what the server sends to the attacker, per dialect: the checkers each
// FuzzSocket runs on every frame it receives.
import { isUtf8 } from 'node:buffer';
import { BROKER_URI, MessageType, type PcpMessage } from '../../../src/protocol/pcp/message.js';
import { decodeV1 } from '../../../src/protocol/pcp-v1/codec.js';
import { decodeV2 } from '../../../src/protocol/pcp-v2/codec.js';
import { Packet, SERVER_PACKETS } from '../../../src/protocol/pubkeeper/packets.js';
import { decodeV1Frame, type V1Version } from '../../../src/protocol/pubkeeper-v1/frame.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { parseTopic } from '../../../src/protocol/topic.js';
import { ATTACKER_URIS } from './setup.js';
import type { Received } from './socket.js';

/** ERROR texts of CONTRACT §4 ("Internal error" is counted separately). */
const ERROR_PREFIXES = ['Unauthenticated Request', 'Lack Permissions for Request', 'Could not decode message', 'Unknown packet', 'Invalid payload', 'Limit exceeded', 'Internal error'];
const PCP_ERROR_TEXTS = ['Could not decode message', 'Message not authenticated.', 'Multiple recipients no longer supported.', 'Not connected.', 'Unknown message type.', ...ERROR_PREFIXES];
const BROKER_TYPES = new Set<string>([
  MessageType.ERROR, MessageType.UNAUTHORIZED, MessageType.TTL_EXPIRED, MessageType.DESTINATION_REPORT, MessageType.ASSOCIATE_RESPONSE,
  MessageType.INVENTORY_RESPONSE, MessageType.INVENTORY_UPDATE, MessageType.PK_OK, MessageType.PK_BREWER_NOTIFY, MessageType.PK_BREWER_REMOVED,
]);

const sortedKeys = (v: unknown): string => (typeof v === 'object' && v !== null ? Object.keys(v).sort().join(',') : `<${typeof v}>`);

function attackerTopic(topic: unknown): string | undefined {
  if (typeof topic !== 'string' || !parseTopic(topic, { wildcards: false }).ok) return `notification topic ${JSON.stringify(topic)} is not a literal topic`;
  // `fz.**` matches `fz` itself too (`**` is zero or more segments).
  if (topic !== 'fz' && !topic.startsWith('fz.')) return `notification for ${topic}, outside the attacker's rights`;
  return undefined;
}

export function checkJson(r: Received): string | undefined {
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

export function checkV1(version: V1Version): (r: Received) => string | undefined {
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

export function checkPcpV2(own: string): (r: Received) => string | undefined {
  return (r) => {
    if (r.isBinary) return 'a binary frame on PCP v2';
    if (!isUtf8(r.data)) return 'a text frame that is not UTF-8';
    const decoded = decodeV2(r.data.toString('utf8'));
    if (!decoded.ok) return `undecodable v2 message (${decoded.error.detail})`;
    return checkPcpMessage(decoded.value, own);
  };
}

export function checkPcpV1(own: string): (r: Received) => string | undefined {
  return (r) => {
    if (!r.isBinary) return 'a text frame on PCP v1';
    const decoded = decodeV1(r.data);
    if (!decoded.ok) return `undecodable v1 message (${decoded.error.detail})`;
    return checkPcpMessage(decoded.value, own);
  };
}

export const parsedV2 = (r: Received): PcpMessage | undefined => {
  if (r.isBinary) return undefined;
  const d = decodeV2(r.data.toString('utf8'));
  return d.ok ? d.value : undefined;
};
export const parsedV1 = (r: Received): PcpMessage | undefined => {
  if (!r.isBinary) return undefined;
  const d = decodeV1(r.data);
  return d.ok ? d.value : undefined;
};
