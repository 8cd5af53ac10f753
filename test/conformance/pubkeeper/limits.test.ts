import { describe, expect, it } from 'vitest';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { nextFrame, recordFrames } from '../../helpers/frames.js';
import { startTestServer } from '../../helpers/server.js';
import { V1RawClient } from '../../helpers/v1Client.js';

describe('PubKeeper JSON dialect: what one session may cost (CONTRACT §6b)', () => {
  it('PK-SUB-5 a pattern with more than maxMultiWildcards ** is refused before anything else; **.** counts once', async () => {
    const t = await startTestServer({ config: { maxMultiWildcards: 2 } });
    const b = await t.client('brewer');
    await b.registerBrewer('a.b.c', { uuid: 'u' });
    const s = await t.client('sub', ['subscribe:a.**']);
    const frames = recordFrames(s);
    // Three ** and outside the rights: the count is what is reported, not the rights.
    await expect(s.subscribe('**.x.**.y.**')).rejects.toThrow(/^Limit exceeded: a pattern may hold at most 2 \*\*$/);
    await expect(s.subscribe('a.**.b.**.c.**')).rejects.toThrow(/^Limit exceeded: a pattern may hold at most 2 \*\*$/);
    expect(frames.filter((f) => f[0] !== Packet.ERROR)).toEqual([]);
    // Two are fine, and so are adjacent ones that normalize to one.
    await s.subscribe('a.**.**.c.**');
    await s.subscribe('a.**.c.**');
    expect(frames.filter((f) => f[0] === Packet.BREWER_NOTIFY).length).toBe(2);

    // The same limit on a 1.x PATRON_REGISTER.
    const v1 = await V1RawClient.connect(t.url);
    expect(await v1.authenticate(t.keys.mint('v1'))).toBe(true);
    v1.send(V1Packet.PATRON_REGISTER, { topic: 'a.**.b.**.c.**', patron_id: 'fedcba9876543210fedcba9876543210', brews: [{ name: 'websocket' }] });
    const [, error] = await v1.next((p) => p[0] === V1Packet.ERROR);
    expect(error.message).toBe('Limit exceeded: a pattern may hold at most 2 **');
  });

  it('PK-SUB-6 snapshots are metered per session: one per request plus one per brewer sent; past the budget a request changes nothing', async () => {
    const t = await startTestServer({ config: { snapshotBudgetPer10s: 10 } });
    const b = await t.client('brewer');
    for (let i = 0; i < 8; i++) await b.registerBrewer(`a.${i}`, { uuid: `u${i}` });
    const s = await t.client('sub');
    const frames = recordFrames(s);
    await s.subscribe('a.*'); // 1 + 8 = 9 spent
    await s.subscribe('a.*'); // starts within budget, so sent whole: 18
    expect(frames.filter((f) => f[0] === Packet.BREWER_NOTIFY).length).toBe(16);
    await expect(s.subscribe('z.*')).rejects.toThrow(/^Limit exceeded: at most 10 snapshot brewers per 10 s$/);
    // The refused subscription does not exist: a brewer on z.* is not told to this session.
    const bystander = await t.client('bystander');
    await bystander.subscribe('z.*');
    const told = nextFrame(bystander, (f) => f[0] === Packet.BREWER_NOTIFY);
    await b.registerBrewer('z.1', { uuid: 'z1' });
    await told;
    await s.sync();
    expect(frames.filter((f) => f[0] === Packet.BREWER_NOTIFY && f[1].topic === 'z.1')).toEqual([]);
    // The budget is the session's: the bystander subscribes on.
    await bystander.subscribe('a.*');
  });

  it('PK-AUTH-7 past maxTokenRefreshesPer10s a refresh is refused before its signature is checked; the held token is free', async () => {
    const t = await startTestServer({ config: { maxTokenRefreshesPer10s: 2 } });
    const c = await t.client('alice', ['subscribe:a.*']);
    const frames = recordFrames(c, { includeAuthenticated: true });
    expect(await c.authenticate(t.keys.mint('alice', ['subscribe:b.*'], { jti: 'two' }))).toBe(true);
    expect(await c.authenticate(t.keys.mint('alice', ['subscribe:c.*'], { jti: 'three' }))).toBe(true);
    // Every request of the SDK ends with the held token as its barrier: never counted.
    await c.subscribe('c.*');
    await c.sync();
    expect(frames.every((f) => f[0] === Packet.AUTHENTICATED)).toBe(true);
    frames.length = 0;
    await expect(c.authenticate(t.keys.mint('alice', ['subscribe:d.*'], { jti: 'four' }))).rejects.toThrow(
      /^Limit exceeded: at most 2 token refreshes per 10 s$/,
    );
    // Metered before the signature: the limit is the answer, not "malformed token".
    const answered = nextFrame(c, (f) => f[0] === Packet.AUTHENTICATED && frames.length === 4);
    c.send(Packet.AUTHENTICATE, { token: 'not-even-a-jwt' });
    await answered;
    expect(frames).toEqual([
      [Packet.ERROR, { message: 'Limit exceeded: at most 2 token refreshes per 10 s' }],
      [Packet.AUTHENTICATED, { authenticated: true }],
      [Packet.ERROR, { message: 'Limit exceeded: at most 2 token refreshes per 10 s' }],
      [Packet.AUTHENTICATED, { authenticated: true }],
    ]);
    // Nothing changed: the rights are still the third token's, and the session is open.
    await c.subscribe('c.*');
    await expect(c.subscribe('d.*')).rejects.toThrow(/^Lack Permissions for Request/);
    expect(c.closed).toBeUndefined();
  });

  it('PK-REG-9 an ended session\'s uuids stay its sub\'s: another sub is refused, the same sub takes them back anywhere', async () => {
    const t = await startTestServer();
    const alice = await t.client('alice');
    await alice.registerBrewer('a.b', { uuid: 'kept' });
    await alice.registerBrewer('a.b', { uuid: 'freed' });
    await alice.unregisterBrewer('a.b', 'freed');
    // The server has ended alice's session once the watcher sees her brewer gone.
    const watcher = await t.client('watcher');
    await watcher.subscribe('a.*');
    const gone = nextFrame(watcher, (f) => f[0] === Packet.BREWER_REMOVED);
    await alice.close();
    await gone;
    const bob = await t.client('bob');
    await expect(bob.registerBrewer('a.b', { uuid: 'kept' })).rejects.toThrow(/^Lack Permissions for Request/);
    await expect(bob.registerBrewer('other.topic', { uuid: 'kept' })).rejects.toThrow(/^Lack Permissions for Request/);
    // An explicit unregister reserves nothing.
    await bob.registerBrewer('a.b', { uuid: 'freed' });
    const back = await t.client('alice');
    await back.registerBrewer('a.c', { uuid: 'kept' });
  });
});
