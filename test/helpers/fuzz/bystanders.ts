// Bystanders: one per dialect, opened before the attack, each holding state the attack must not
// touch, and recording everything they receive from then on.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { PcpClient } from '../../../src/client/pcpClient.js';
import type { PubkeeperClient } from '../../../src/client/pubkeeperClient.js';
import { BROKER_URI, MessageType, type PcpMessage } from '../../../src/protocol/pcp/message.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { recordFrames } from '../frames.js';
import { nextMessage, recordMessages, V1Client } from '../pcp.js';
import { connect as relayConnect, type RelayClient } from '../relay.js';
import type { TestServer } from '../server.js';
import { V1RawClient } from '../v1Client.js';
import { isoIn } from './generators.js';
import { BY_JSON, BY_PCP, BYSTANDER, BYSTANDER_RIGHTS } from './setup.js';

export interface Bystanders {
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

export async function openBystanders(t: TestServer, relayPort: number): Promise<Bystanders> {
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
export async function checkBystanders(t: TestServer, by: Bystanders, relayPort: number): Promise<void> {
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

  const registry = t.server.hub.registry;
  expect(registry.ownerOf('by-json-1')).toBe(BYSTANDER);
  expect(registry.ownerOf('by-pcp-1')).toBe(BYSTANDER);
  expect(registry.ownerOf('by-v1-1')).toBe(BYSTANDER);
  expect(registry.get('by.json', 'by-json-1')?.brewer).toEqual(BY_JSON);
  expect(registry.get('by.pcp', 'by-pcp-1')?.brewer).toEqual(BY_PCP);
  const holder = registry.get('by.v1', 'by-v1-1')?.owner;
  expect(holder && t.server.hub.sessions.get(holder.session)?.closed).toBe(false);

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
