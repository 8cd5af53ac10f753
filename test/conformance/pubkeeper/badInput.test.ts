import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import type { PubkeeperClient } from '../../../src/client/pubkeeperClient.js';
import { errorFor, nextFrame, recordFrames } from '../../helpers/frames.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { baseClaims, confusedToken, foreignToken, noneToken, now, publicPem, signedWith } from '../../helpers/tokens.js';

const brewer = { uuid: 'u-1', hostname: 'h' };

/** A server with one brewer and one subscriber, to show that bad input changes nothing. */
async function fixture(): Promise<{ t: TestServer; c: PubkeeperClient; watcher: PubkeeperClient }> {
  const t = await startTestServer();
  const c = await t.client('alice');
  await c.registerBrewer('a.b', brewer);
  await c.subscribe('a.*');
  const watcher = await t.client('watcher');
  await watcher.subscribe('**');
  return { t, c, watcher };
}

/** The session still works and the registry is exactly as before. */
async function unchanged({ t, c, watcher }: { t: TestServer; c: PubkeeperClient; watcher: PubkeeperClient }): Promise<void> {
  const frames = recordFrames(watcher);
  await c.sync();
  await watcher.sync();
  expect(frames).toEqual([]); // no notification leaked out of the bad input
  expect(t.server.hub.registry.size).toBe(1);
  expect(t.server.hub.subscriptions.size).toBe(2);
  const probe = await t.client('probe');
  const seen = recordFrames(probe);
  await probe.subscribe('**');
  expect(seen).toEqual([[Packet.BREWER_NOTIFY, { topic: 'a.b', brewer }]]);
  expect(c.closed).toBeUndefined();
  await c.registerBrewer('a.c', { uuid: 'u-2' });
}

describe('PubKeeper JSON dialect: bad input gets an ERROR, and changes nothing', () => {
  const decodeCases: [string, string][] = [
    ['not JSON', '{oops'],
    ['an object, not an array', '{"packet":1}'],
    ['one element', '[1]'],
    ['three elements', '[10, {}, {}]'],
    ['a string packet', '["10", {"topic":"a"}]'],
    ['a fractional packet', '[10.5, {}]'],
    ['a null payload', '[20, null]'],
    ['an array payload', '[20, ["a"]]'],
    ['a string payload', '[20, "a.b"]'],
    ['empty text', ''],
  ];
  for (const [what, frame] of decodeCases) {
    it(`PK-WIRE-1 ${what}: "Could not decode message"`, async () => {
      const f = await fixture();
      expect(await errorFor(f.c, frame)).toMatch(/^Could not decode message/);
      await unchanged(f);
    });
  }

  it('PK-WIRE-1 a text frame that is not UTF-8: "Could not decode message", not a close 1007', async () => {
    const f = await fixture();
    const answer = nextFrame(f.c, (fr) => fr[0] === Packet.ERROR);
    f.c.socket.send(Buffer.from([0x5b, 0x32, 0x30, 0x2c, 0xff, 0x5d]), { binary: false });
    expect(String((await answer)[1].message)).toMatch(/^Could not decode message/);
    await unchanged(f);
  });

  it('PK-WIRE-2 a binary frame: "Could not decode message"', async () => {
    const f = await fixture();
    expect(await errorFor(f.c, Buffer.from(JSON.stringify([Packet.SUBSCRIBE, { topic: 'x' }])))).toMatch(
      /^Could not decode message/,
    );
    await unchanged(f);
  });

  for (const id of [0, 2, 12, 13, 99, 3, 1000, -1]) {
    it(`PK-WIRE-4 packet ${id}, which a client may not send: "Unknown packet"`, async () => {
      const f = await fixture();
      expect(await errorFor(f.c, JSON.stringify([id, { topic: 'a.b', brewer }]))).toMatch(/^Unknown packet/);
      await unchanged(f);
    });
  }

  const payloadCases: [string, unknown[], RegExp][] = [
    ['AUTHENTICATE without token', [Packet.AUTHENTICATE, {}], /^Invalid payload: token/],
    ['AUTHENTICATE with a numeric token', [Packet.AUTHENTICATE, { token: 5 }], /^Invalid payload: token/],
    ['BREWER_REGISTER without topic', [Packet.BREWER_REGISTER, { brewer }], /^Invalid payload: topic/],
    ['BREWER_REGISTER without brewer', [Packet.BREWER_REGISTER, { topic: 'a.x' }], /^Invalid payload: brewer/],
    ['BREWER_REGISTER with a brewer string', [Packet.BREWER_REGISTER, { topic: 'a.x', brewer: 'u-9' }], /^Invalid payload: brewer/],
    ['BREWER_REGISTER without uuid', [Packet.BREWER_REGISTER, { topic: 'a.x', brewer: { hostname: 'h' } }], /^Invalid payload: brewer.uuid/],
    ['BREWER_REGISTER with an empty uuid', [Packet.BREWER_REGISTER, { topic: 'a.x', brewer: { uuid: '' } }], /^Invalid payload: brewer.uuid/],
    ['BREWER_REGISTER with a 129-char uuid', [Packet.BREWER_REGISTER, { topic: 'a.x', brewer: { uuid: 'x'.repeat(129) } }], /^Invalid payload: brewer.uuid/],
    ['BREWER_REGISTER with a numeric uuid', [Packet.BREWER_REGISTER, { topic: 'a.x', brewer: { uuid: 7 } }], /^Invalid payload: brewer.uuid/],
    ['BREWER_REGISTER on a wildcard topic', [Packet.BREWER_REGISTER, { topic: 'a.*', brewer: { uuid: 'w' } }], /^Invalid payload: topic/],
    ['BREWER_UNREGISTER with a numeric brewer', [Packet.BREWER_UNREGISTER, { topic: 'a.b', brewer: 5 }], /^Invalid payload: brewer/],
    ['BREWER_UNREGISTER of an unknown brewer', [Packet.BREWER_UNREGISTER, { topic: 'a.b', brewer: 'zzz' }], /^Invalid payload: brewer/],
    ['SUBSCRIBE with a numeric topic', [Packet.SUBSCRIBE, { topic: 1 }], /^Invalid payload: topic/],
    ['SUBSCRIBE to an empty segment', [Packet.SUBSCRIBE, { topic: 'a..b' }], /^Invalid payload: topic/],
    ['SUBSCRIBE to a partial wildcard', [Packet.SUBSCRIBE, { topic: 'a.b*' }], /^Invalid payload: topic/],
    ['SUBSCRIBE with whitespace', [Packet.SUBSCRIBE, { topic: 'a.\u00a0b' }], /^Invalid payload: topic/],
    ['SUBSCRIBE with a control character', [Packet.SUBSCRIBE, { topic: 'a.\u0085' }], /^Invalid payload: topic/],
    ['SUBSCRIBE to a 256-byte topic', [Packet.SUBSCRIBE, { topic: 'é'.repeat(128) }], /^Invalid payload: topic/],
    ['SUBSCRIBE to 33 segments', [Packet.SUBSCRIBE, { topic: Array(33).fill('s').join('.') }], /^Invalid payload: topic/],
    ['UNSUBSCRIBE of an unknown pattern', [Packet.UNSUBSCRIBE, { topic: 'q.*' }], /^Invalid payload: topic/],
  ];
  for (const [what, frame, expected] of payloadCases) {
    it(`PK-ERR-1 ${what}: ${expected.source}`, async () => {
      const f = await fixture();
      expect(await errorFor(f.c, JSON.stringify(frame))).toMatch(expected);
      await unchanged(f);
    });
  }

  it('PK-ERR-1 a brewer nested 5000 levels deep: "Invalid payload: nested too deeply", never "Internal error"', async () => {
    const f = await fixture();
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expect(await errorFor(f.c, `[10,{"topic":"a.x","brewer":{"uuid":"deep","x":${deep}}}]`)).toBe('Invalid payload: nested too deeply');
    await unchanged(f);
  });

  it('PK-WIRE-6 a flood of bad frames never closes the session below the error limit', async () => {
    const f = await fixture();
    const errors = recordFrames(f.c);
    const fiftieth = nextFrame(f.c, () => errors.length === 50);
    for (let i = 0; i < 50; i++) f.c.sendRaw('nope');
    await fiftieth;
    expect(errors.every(([packet, payload]) => packet === Packet.ERROR && /^Could not decode/.test(String(payload.message)))).toBe(true);
    await unchanged(f);
  });
});

describe('PubKeeper JSON dialect: refused tokens (PK-TOKEN-*)', () => {
  const cases: [string, (t: TestServer) => unknown, RegExp][] = [
    ['PK-TOKEN-1 alg none', () => noneToken(), /unsupported algorithm/],
    ['PK-TOKEN-1 HS256 signed with the public key', (t) => confusedToken(publicPem(t.keys.dir)), /unsupported algorithm/],
    ['PK-TOKEN-1 a bad signature', () => foreignToken(), /bad signature/],
    ['PK-TOKEN-2 a wrong issuer', (t) => signedWith(t.keys.dir, baseClaims({ iss: 'other' })), /issuer/],
    ['PK-TOKEN-2 a wrong audience', (t) => signedWith(t.keys.dir, baseClaims({ aud: 'other' })), /audience/],
    ['PK-TOKEN-2 an expired token', (t) => signedWith(t.keys.dir, baseClaims({ exp: now() - 10 })), /expired/],
    ['PK-TOKEN-2 nbf in the future', (t) => signedWith(t.keys.dir, baseClaims({ nbf: now() + 3600 })), /not yet valid/],
    ['PK-TOKEN-2 no sub', (t) => signedWith(t.keys.dir, baseClaims({ sub: undefined })), /sub/],
    ['PK-TOKEN-2 a sub with forbidden characters', (t) => signedWith(t.keys.dir, baseClaims({ sub: 'a b/c' })), /sub/],
    ['PK-TOKEN-2 a malformed token', () => 'abc.def', /malformed/],
    ['PK-TOKEN-2 a 100 KB token', () => 'a'.repeat(100 * 1024), /too large/],
    ['PK-TOKEN-3 an invalid right', (t) => signedWith(t.keys.dir, baseClaims({ rights: ['fly:a.b'] })), /right/],
  ];
  for (const [what, token, reason] of cases) {
    it(`${what} is refused: AUTHENTICATED false + ERROR saying why`, async () => {
      const t = await startTestServer();
      const c = await t.connect();
      const frames = recordFrames(c, { includeAuthenticated: true });
      await expect(c.authenticate(token(t) as string)).rejects.toThrow(reason);
      expect(String(frames[0]?.[1].message)).toMatch(/^Unauthenticated Request/);
      expect(frames[1]).toEqual([Packet.AUTHENTICATED, { authenticated: false }]);
      expect(await c.authenticate(t.keys.mint('alice'))).toBe(true);
    });
  }
});

describe('PubKeeper JSON dialect: subprotocol', () => {
  it('PK-WIRE-3 `pubkeeper.n.io` is echoed when offered, and nothing is chosen when it is not', async () => {
    const t = await startTestServer();
    const offered = await t.connect();
    expect(offered.socket.protocol).toBe('pubkeeper.n.io');
    const plain = await t.connect({ legacySubprotocol: false });
    expect(plain.socket.protocol).toBe('');
    expect(await plain.authenticate(t.keys.mint('alice'))).toBe(true);
  });

  it('PK-WIRE-7 a frame above max-frame-bytes closes 1009; other sessions are untouched', async () => {
    const t = await startTestServer({ config: { maxFrameBytes: 1024 } });
    const other = await t.client('other');
    const ws = new WebSocket(t.url);
    await new Promise((resolve) => ws.once('open', resolve));
    const code = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    ws.send('x'.repeat(2048));
    expect(await code).toBe(1009);
    await other.subscribe('a');
  });
});
