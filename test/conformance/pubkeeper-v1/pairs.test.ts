import { describe, expect, it } from 'vitest';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { V1RawClient } from '../../helpers/v1Client.js';

const ws = { name: 'websocket', hostname: '127.0.0.1', port: 9912, secure: false };
const cipher = { cipher: { key: '99fdc06da65d345852840215424e8ece', mode: 2 } };
const B1 = '0123456789abcdef0123456789abcdef';
const B2 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const P1 = 'fedcba9876543210fedcba9876543210';
const P2 = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

async function v1(t: TestServer, sub: string, rights: unknown[] = ['all'], protocols?: string[]) {
  const c = await V1RawClient.connect(t.url, protocols);
  const token = t.keys.mint(sub, rights);
  expect(await c.authenticate(token)).toBe(true);
  return { c, sync: () => c.sync(token) };
}

const brewer = (topic: string, id: string, brews: object[] = [ws]) => ({ topic, brewer_id: id, brewer_config: cipher, brews });
const patron = (topic: string, id: string, brews: object[] = [{ name: 'websocket' }]) => ({ topic, patron_id: id, brews });

describe('PubKeeper 1.x: brewers, patrons and brews', () => {
  it('PK1-PAIR-1 each registration is answered with every current match in one notify, even an empty one', async () => {
    const t = await startTestServer();
    const a = await v1(t, 'a');
    a.c.send(V1Packet.BREWER_REGISTER, brewer('s.one', B1));
    expect(await a.c.next((p) => p[0] === V1Packet.PATRON_NOTIFY)).toEqual([V1Packet.PATRON_NOTIFY, { brewer_id: B1, patrons: [] }]);
    a.c.send(V1Packet.BREWER_REGISTER, brewer('s.two', B2));
    await a.c.next((p) => p[0] === V1Packet.PATRON_NOTIFY && p[1].brewer_id === B2);
    const b = await v1(t, 'b');
    b.c.send(V1Packet.PATRON_REGISTER, patron('s.*', P1));
    const notify = await b.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY);
    expect(notify).toEqual([
      V1Packet.BREWER_NOTIFY,
      {
        patron_id: P1,
        brewers: [
          { topic: 's.one', brewer_id: B1, brewer_config: cipher, brew: ws },
          { topic: 's.two', brewer_id: B2, brewer_config: cipher, brew: ws },
        ],
      },
    ]);
    b.c.send(V1Packet.PATRON_REGISTER, patron('nothing.*', P2));
    expect(await b.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY && p[1].patron_id === P2)).toEqual([V1Packet.BREWER_NOTIFY, { patron_id: P2, brewers: [] }]);
  });

  it('PK1-PAIR-2 a later match reaches both sides as a one-entry notify, never twice, duplicates included', async () => {
    const t = await startTestServer();
    const pat = await v1(t, 'p');
    pat.c.send(V1Packet.PATRON_REGISTER, patron('x.**', P1));
    await pat.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY);
    const brw = await v1(t, 'b');
    brw.c.send(V1Packet.BREWER_REGISTER, brewer('x.y', B1));
    expect(await brw.c.next((p) => p[0] === V1Packet.PATRON_NOTIFY)).toEqual([
      V1Packet.PATRON_NOTIFY,
      { brewer_id: B1, patrons: [{ topic: 'x.y', patron_id: P1, brew: { name: 'websocket' } }] },
    ]);
    expect(await pat.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY && (p[1].brewers as unknown[]).length === 1)).toEqual([
      V1Packet.BREWER_NOTIFY,
      { patron_id: P1, brewers: [{ topic: 'x.y', brewer_id: B1, brewer_config: cipher, brew: ws }] },
    ]);
    // The JS client re-sends its registrations around authentication: nothing is notified twice.
    brw.c.send(V1Packet.BREWER_REGISTER, brewer('x.y', B1));
    pat.c.send(V1Packet.PATRON_REGISTER, patron('x.**', P1));
    await brw.sync();
    await pat.sync();
    const brewerSide = brw.c.packets().filter((p) => p[0] === V1Packet.PATRON_NOTIFY);
    expect(brewerSide.map((p) => (p[1].patrons as unknown[]).length)).toEqual([1, 0]);
    const patronSide = pat.c.packets().filter((p) => p[0] === V1Packet.BREWER_NOTIFY);
    expect(patronSide.map((p) => (p[1].brewers as unknown[]).length)).toEqual([0, 1, 0]);
  });

  it('PK1-PAIR-3 unregister or session end: REMOVED to every counterpart that was told, to no one else', async () => {
    const t = await startTestServer();
    const pat = await v1(t, 'p');
    pat.c.send(V1Packet.PATRON_REGISTER, patron('r.*', P1));
    const brw = await v1(t, 'b');
    brw.c.send(V1Packet.BREWER_REGISTER, brewer('r.a', B1));
    brw.c.send(V1Packet.BREWER_REGISTER, brewer('r.b', B2));
    await pat.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY && (p[1].brewers as { brewer_id: string }[])[0]?.brewer_id === B2);
    brw.c.send(V1Packet.BREWER_UNREGISTER, { topic: 'r.a', brewer_id: B1 });
    expect(await pat.c.next((p) => p[0] === V1Packet.BREWER_REMOVED)).toEqual([V1Packet.BREWER_REMOVED, { topic: 'r.a', patron_id: P1, brewer_id: B1 }]);
    pat.c.send(V1Packet.PATRON_UNREGISTER, { topic: 'r.*', patron_id: P1 });
    expect(await brw.c.next((p) => p[0] === V1Packet.PATRON_REMOVED)).toEqual([V1Packet.PATRON_REMOVED, { topic: 'r.b', brewer_id: B2, patron_id: P1 }]);
    // Session end: a new patron is paired with B2, then the brewer's socket drops.
    pat.c.send(V1Packet.PATRON_REGISTER, patron('r.*', P2));
    await pat.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY && p[1].patron_id === P2);
    const gone = pat.c.next((p) => p[0] === V1Packet.BREWER_REMOVED && p[1].patron_id === P2);
    brw.c.socket.terminate();
    expect((await gone)[1]).toEqual({ topic: 'r.b', patron_id: P2, brewer_id: B2 });
    // The unregistering side itself is never sent a REMOVED for its own registration.
    expect(brw.c.packets().filter((p) => p[0] === V1Packet.BREWER_REMOVED)).toEqual([]);
  });

  it('PK1-PAIR-4 a pair needs a shared brew; the entry carries the counterpart\'s brew of that name and the brewer\'s literal topic', async () => {
    const t = await startTestServer();
    const brw = await v1(t, 'b');
    const udp = { name: 'udp', hostname: 'h', port: 1 };
    brw.c.send(V1Packet.BREWER_REGISTER, brewer('m.t', B1, [udp, ws]));
    await brw.c.next((p) => p[0] === V1Packet.PATRON_NOTIFY);
    const pat = await v1(t, 'p');
    pat.c.send(V1Packet.PATRON_REGISTER, patron('m.*', P1, [{ name: 'http' }]));
    expect((await pat.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY))[1]).toEqual({ patron_id: P1, brewers: [] });
    pat.c.send(V1Packet.PATRON_REGISTER, patron('**', P2, [{ name: 'websocket', extra: 1 }, { name: 'udp' }]));
    expect((await pat.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY && p[1].patron_id === P2))[1]).toEqual({
      patron_id: P2,
      brewers: [{ topic: 'm.t', brewer_id: B1, brewer_config: cipher, brew: ws }],
    });
    expect((await brw.c.next((p) => p[0] === V1Packet.PATRON_NOTIFY && (p[1].patrons as unknown[]).length === 1))[1]).toEqual({
      brewer_id: B1,
      patrons: [{ topic: 'm.t', patron_id: P2, brew: { name: 'websocket', extra: 1 } }],
    });
  });

  it('PK1-RIGHT-1 BREWER_REGISTER needs a brew right and PATRON_REGISTER a subscribe right covering the pattern', async () => {
    const t = await startTestServer();
    const c = await v1(t, 'c', ['brew:ok.*', 'subscribe:ok.*']);
    c.c.send(V1Packet.BREWER_REGISTER, brewer('no.t', B1));
    expect(String((await c.c.next((p) => p[0] === V1Packet.ERROR))[1].message)).toMatch(/^Lack Permissions for Request/);
    c.c.send(V1Packet.PATRON_REGISTER, patron('ok.**', P1));
    expect(String((await c.c.next((p) => p[0] === V1Packet.ERROR))[1].message)).toMatch(/^Lack Permissions for Request/);
    c.c.send(V1Packet.BREWER_REGISTER, brewer('ok.t', B1));
    await c.c.next((p) => p[0] === V1Packet.PATRON_NOTIFY);
    c.c.send(V1Packet.PATRON_REGISTER, patron('ok.*', P1));
    expect((await c.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY))[1]).toMatchObject({ patron_id: P1, brewers: [{ brewer_id: B1 }] });
  });

  it('PK1-UNREG-1 unregistering unknown ids is harmless: no ERROR, nothing changes', async () => {
    const t = await startTestServer();
    const c = await v1(t, 'c');
    c.c.send(V1Packet.BREWER_UNREGISTER, { topic: 'a.b', brewer_id: B1 });
    c.c.send(V1Packet.PATRON_UNREGISTER, { topic: 'a.*', patron_id: P1 });
    await c.sync();
    expect(c.c.packets()).toEqual([]);
  });
});

describe('PubKeeper 1.x: replacing and limits', () => {
  it('PK1-PAIR-5 a registration replaced with another object: the old pairs end (REMOVED, both sides) before the new list', async () => {
    const t = await startTestServer();
    const brw = await v1(t, 'b');
    const pat = await v1(t, 'p');
    pat.c.send(V1Packet.PATRON_REGISTER, patron('q.*', P1));
    await pat.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY);
    brw.c.send(V1Packet.BREWER_REGISTER, brewer('q.t', B1));
    await brw.c.next((p) => p[0] === V1Packet.PATRON_NOTIFY);
    await pat.c.next((p) => p[0] === V1Packet.BREWER_NOTIFY);
    // The brewer moves to another relay port.
    const moved = { ...ws, port: 9913 };
    brw.c.send(V1Packet.BREWER_REGISTER, brewer('q.t', B1, [moved]));
    await brw.sync();
    await pat.sync();
    expect(brw.c.packets().slice(1)).toEqual([
      [V1Packet.PATRON_REMOVED, { topic: 'q.t', brewer_id: B1, patron_id: P1 }],
      [V1Packet.PATRON_NOTIFY, { brewer_id: B1, patrons: [{ topic: 'q.t', patron_id: P1, brew: { name: 'websocket' } }] }],
    ]);
    expect(pat.c.packets().slice(2)).toEqual([
      [V1Packet.BREWER_REMOVED, { topic: 'q.t', patron_id: P1, brewer_id: B1 }],
      [V1Packet.BREWER_NOTIFY, { patron_id: P1, brewers: [{ topic: 'q.t', brewer_id: B1, brewer_config: cipher, brew: moved }] }],
    ]);
    // A patron re-registered with other brews: the same, from its side.
    pat.c.send(V1Packet.PATRON_REGISTER, patron('q.*', P1, [{ name: 'websocket', v: 2 }]));
    await pat.sync();
    expect(pat.c.packets().slice(4)).toEqual([
      [V1Packet.BREWER_REMOVED, { topic: 'q.t', patron_id: P1, brewer_id: B1 }],
      [V1Packet.BREWER_NOTIFY, { patron_id: P1, brewers: [{ topic: 'q.t', brewer_id: B1, brewer_config: cipher, brew: moved }] }],
    ]);
  });

  it('PK1-LIMIT-1 patrons count with subscriptions towards max-subscriptions-per-session', async () => {
    const t = await startTestServer({ config: { maxSubscriptionsPerSession: 2 } });
    const c = await v1(t, 'c');
    c.c.send(V1Packet.PATRON_REGISTER, patron('a', P1));
    c.c.send(V1Packet.PATRON_REGISTER, patron('b', P2));
    c.c.send(V1Packet.PATRON_REGISTER, patron('c', 'p3'));
    expect(String((await c.c.next((p) => p[0] === V1Packet.ERROR))[1].message)).toMatch(/^Limit exceeded/);
    expect(c.c.packets().filter((p) => p[0] === V1Packet.BREWER_NOTIFY)).toHaveLength(2);
  });

  it('PK1-WIRE-4 v1.0 notifies longer than 64 KiB are split across notifies; an entry that cannot fit is left out', async () => {
    const t = await startTestServer({ config: { maxBrewerBytes: 100_000 } });
    const brw = await v1(t, 'b');
    const big = 'k'.repeat(30_000);
    for (let i = 0; i < 4; i++) {
      brw.c.send(V1Packet.BREWER_REGISTER, { topic: `big.${i}`, brewer_id: `b${i}`, brewer_config: { big }, brews: [ws] });
    }
    brw.c.send(V1Packet.BREWER_REGISTER, { topic: 'big.huge', brewer_id: 'huge', brewer_config: { big: 'h'.repeat(70_000) }, brews: [ws] });
    await brw.sync();
    const pat = await v1(t, 'p', ['all'], ['pubkeeper-1.0']);
    pat.c.send(V1Packet.PATRON_REGISTER, patron('big.*', P1));
    await pat.sync();
    const notifies = pat.c.packets().filter((p) => p[0] === V1Packet.BREWER_NOTIFY);
    expect(notifies.length).toBeGreaterThan(1);
    const ids = notifies.flatMap((p) => (p[1].brewers as { brewer_id: string }[]).map((b) => b.brewer_id)).sort();
    expect(ids).toEqual(['b0', 'b1', 'b2', 'b3']);
    // v1.1 carries it whole, using the high half of the length.
    const pat11 = await v1(t, 'p11', ['all'], ['pubkeeper-1.1']);
    pat11.c.send(V1Packet.PATRON_REGISTER, patron('big.*', P2));
    await pat11.sync();
    const whole = pat11.c.packets().filter((p) => p[0] === V1Packet.BREWER_NOTIFY);
    expect(whole).toHaveLength(1);
    expect((whole[0]?.[1].brewers as unknown[]).length).toBe(5);
  });

  it('PK1-ERR-2 an ERROR from the client is accepted and never answered', async () => {
    const t = await startTestServer();
    const c = await v1(t, 'c');
    c.c.send(V1Packet.ERROR, { message: 'Action error (KeyError)' });
    await c.sync();
    expect(c.c.packets()).toEqual([]);
  });
});
