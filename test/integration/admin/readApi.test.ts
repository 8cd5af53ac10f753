// The read API and the event feed (protocol/admin.md ADM-READ-1 … ADM-READ-3).
import { describe, expect, it } from 'vitest';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { admin, adminToken, run } from '../../helpers/admin.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { V1RawClient } from '../../helpers/v1Client.js';

/** Every page of a listing, following `next`. */
async function allPages(t: TestServer, path: string, key: string, limit: number): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const token = adminToken(t);
  const items: Record<string, unknown>[] = [];
  let pages = 0;
  for (let after: unknown = 0; after !== null; pages++) {
    const answer = await admin(t, `${path}?limit=${limit}&after=${String(after)}`, { token });
    expect(answer.status).toBe(200);
    items.push(...(answer.body[key] as Record<string, unknown>[]));
    after = answer.body.next;
  }
  return { items, pages };
}

/** Reads an SSE stream and hands out its events, in order. */
async function events(t: TestServer) {
  const controller = new AbortController();
  const res = await fetch(`http://127.0.0.1:${t.port}/admin/events`, { headers: { authorization: `Bearer ${adminToken(t)}` }, signal: controller.signal });
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const queue: { event: string; data: Record<string, unknown> }[] = [];
  let buffered = '';
  const next = async (pred: (e: { event: string; data: Record<string, unknown> }) => boolean): Promise<{ event: string; data: Record<string, unknown> }> => {
    for (;;) {
      const i = queue.findIndex(pred);
      if (i >= 0) return queue.splice(0, i + 1)[i]!;
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      buffered += value;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) queue.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  };
  return { next, close: () => controller.abort() };
}

describe('admin: read API', () => {
  it('ADM-READ-1 sessions of every dialect with who they are, where from, since when and what they hold', async () => {
    const t = await startTestServer();
    const json = await t.client('alice', ['all']);
    await json.registerBrewer('a.b', { uuid: 'u1' });
    await json.subscribe('a.*');
    const v1 = await V1RawClient.connect(t.url);
    await v1.authenticate(t.keys.mint('bob', ['all']));
    v1.send(V1Packet.PATRON_REGISTER, { topic: 'a.**', patron_id: 'p', brews: [{ name: 'websocket' }] });
    await v1.next((p) => p[0] === V1Packet.BREWER_NOTIFY);
    await t.pcp('carol', ['all']);
    await t.connect(); // not authenticated yet
    const { items } = await allPages(t, '/admin/sessions', 'sessions', 100);
    const bySub = new Map(items.map((s) => [s.sub, s]));
    expect(bySub.get('alice')).toEqual({
      id: expect.any(String),
      sub: 'alice',
      dialect: 'pubkeeper-json',
      uri: null,
      remoteAddress: expect.stringMatching(/127\.0\.0\.1$/),
      connectedSince: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      brewers: 1,
      subscriptions: ['a.*'],
      patrons: [],
    });
    expect(bySub.get('bob')).toMatchObject({ dialect: 'pubkeeper-v1.1.1', brewers: 0, subscriptions: [], patrons: ['a.**'] });
    expect(bySub.get('carol')).toMatchObject({ dialect: 'pcp-v2', uri: 'pcp://carol/agent' });
    expect(bySub.get(null)).toMatchObject({ sub: null, dialect: 'pubkeeper-json' });
    expect(items).toHaveLength(4);
  });

  it('ADM-READ-1 pages follow the order sessions began, and a page boundary survives sessions leaving', async () => {
    const t = await startTestServer();
    const clients = [];
    for (let i = 0; i < 5; i++) clients.push(await t.client(`s${i}`, ['all']));
    const token = adminToken(t);
    const first = await admin(t, '/admin/sessions?limit=2', { token });
    expect((first.body.sessions as { sub: string }[]).map((s) => s.sub)).toEqual(['s0', 's1']);
    await clients[2]!.close();
    const rest = await admin(t, `/admin/sessions?limit=2&after=${String(first.body.next)}`, { token });
    expect((rest.body.sessions as { sub: string }[]).map((s) => s.sub)).toEqual(['s3', 's4']);
    expect(rest.body.next).toBeNull();
    const { items, pages } = await allPages(t, '/admin/sessions', 'sessions', 1);
    expect(items.map((s) => s.sub)).toEqual(['s0', 's1', 's3', 's4']);
    expect(pages).toBe(4);
  });

  it('ADM-READ-2 topics with their brewers (static ones marked) and the sessions subscribed to them', async () => {
    const t = await startTestServer();
    const brewer = await t.client('maker', ['all']);
    await brewer.registerBrewer('t.one', { uuid: 'b1', port: 1 });
    await brewer.registerBrewer('t.two', { uuid: 'b2' });
    await run(t, 'register static brewer', { topic: 't.one', brewer: { uuid: 's1' } });
    const sub = await t.client('sub', ['all']);
    await sub.subscribe('t.*');
    await sub.subscribe('t.one');
    const v1 = await V1RawClient.connect(t.url);
    await v1.authenticate(t.keys.mint('patron', ['all']));
    v1.send(V1Packet.PATRON_REGISTER, { topic: 't.one', patron_id: 'p', brews: [] });
    await v1.next((p) => p[0] === V1Packet.BREWER_NOTIFY);
    const { items, pages } = await allPages(t, '/admin/topics', 'topics', 1);
    expect(pages).toBe(2);
    expect(items).toEqual([
      {
        topic: 't.one',
        brewers: [
          { uuid: 'b1', sub: 'maker', static: false, session: expect.any(String), brewer: { uuid: 'b1', port: 1 } },
          { uuid: 's1', sub: null, static: true, session: null, brewer: { uuid: 's1' } },
        ],
        subscribers: 2,
      },
      { topic: 't.two', brewers: [expect.objectContaining({ uuid: 'b2' })], subscribers: 1 },
    ]);
  });

  it('ADM-READ-3 the event feed tells sessions opening, changing and closing, and brewers coming and going', async () => {
    const t = await startTestServer();
    const feed = await events(t);
    const c = await t.connect();
    const opened = await feed.next((e) => e.event === 'session.opened');
    expect(opened.data).toMatchObject({ sub: null, dialect: 'pubkeeper-json' });
    const id = opened.data.id;
    await c.authenticate(t.keys.mint('watched', ['all']));
    expect((await feed.next((e) => e.event === 'session.updated')).data).toMatchObject({ id, sub: 'watched' });
    await c.registerBrewer('e.x', { uuid: 'eu' });
    expect((await feed.next((e) => e.event === 'brewer.added')).data).toEqual({ topic: 'e.x', uuid: 'eu', sub: 'watched', static: false, session: id, brewer: { uuid: 'eu' } });
    await c.subscribe('e.*');
    expect((await feed.next((e) => e.event === 'session.updated' && (e.data.subscriptions as string[]).length > 0)).data).toMatchObject({ id, subscriptions: ['e.*'] });
    await c.close();
    expect((await feed.next((e) => e.event === 'brewer.removed')).data).toEqual({ topic: 'e.x', uuid: 'eu' });
    expect((await feed.next((e) => e.event === 'session.closed')).data).toEqual({ id, code: 1000 });
    feed.close();
  });
});
