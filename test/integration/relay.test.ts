import { request } from 'node:http';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { asChunkVector } from '../helpers/results.js';
import { decodeBrewFrame, encodeRelayFrame, RELAY_SUBPROTOCOL, RelayFrameType, topicHash } from '../../src/protocol/relay/codec.js';
import { connect, eventually, openSocket, startRelay, type RelayClient } from '../helpers/relay.js';

// Raw ws clients against a real BrewRelay on port 0 (protocol/relay.md); the original JS brew is in
// relayRealBrew.test.ts.

/** The HTTP status of a refused upgrade. */
function refusal(port: number, protocols: string[], path = '/'): Promise<number> {
  const ws = openSocket(port, protocols, path);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => reject(new Error(`upgrade accepted with "${ws.protocol}"`)));
  });
}

/** Joins `topic` (which holds `value` as its last value) and returns the first frame after it: a barrier. */
async function barrier(client: RelayClient, topic: string, value: Buffer): Promise<void> {
  client.join(topic);
  expect(await client.next()).toEqual(value);
}

describe('relay: connection', () => {
  it('RELAY-1 GET / is accepted with pubkeeper-1.0.0 echoed', async () => {
    const { port } = await startRelay();
    const c = await connect(port);
    expect(c.ws.protocol).toBe('pubkeeper-1.0.0');
  });

  it('RELAY-1 subprotocol: pubkeeper-1.0.0 first, else the first offer containing "1.0", else 400', async () => {
    const { port } = await startRelay();
    const preferred = openSocket(port, ['v-1.0', 'pubkeeper-1.0.0']);
    await new Promise((resolve) => preferred.once('open', resolve));
    expect(preferred.protocol).toBe('pubkeeper-1.0.0');
    const fallback = openSocket(port, ['foo', 'pubkeeper-1.0', 'bar-1.0']);
    await new Promise((resolve) => fallback.once('open', resolve));
    expect(fallback.protocol).toBe('pubkeeper-1.0');
    expect(await refusal(port, ['pubkeeper-1.1'])).toBe(400);
    expect(await refusal(port, [])).toBe(400);
  });

  it('RELAY-1 any other path is 404, a plain GET / is 426', async () => {
    const { port } = await startRelay();
    expect(await refusal(port, [RELAY_SUBPROTOCOL], '/ws')).toBe(404);
    expect(await refusal(port, [RELAY_SUBPROTOCOL], '/relay/')).toBe(404);
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(426);
  });
});

describe('relay: JOIN, LEAVE, PUBLISH', () => {
  it('RELAY-5 PUBLISH forwards the brew frame alone to every joined connection but the publisher', async () => {
    const { port } = await startRelay();
    const [pub, a, b, other] = await Promise.all([connect(port), connect(port), connect(port), connect(port)]);
    const mark = other.publish('mark', 'barrier'); // a last value for the barrier topic
    for (const c of [pub, a, b]) c.join('t'); // the publisher is in the pool too
    other.join('unrelated');
    // JOINs from different sockets race the PUBLISH below: settle them first with a barrier.
    await barrier(a, 'mark', mark);
    await barrier(b, 'mark', mark);
    await barrier(pub, 'mark-self', other.publish('mark-self', 'x'));
    const payload = pub.publish('t', '{"n":1}');
    expect(await a.next()).toEqual(payload); // no relay header: byte for byte the brew frame
    expect(await b.next()).toEqual(payload);
    // No echo: the publisher's next frame is the barrier's, not its own publication.
    const mark2 = other.publish('mark2', 'after');
    await barrier(pub, 'mark2', mark2);
    await barrier(other, 'mark2', mark2); // `other` joined another topic: nothing from `t`
  });

  it('RELAY-3 a late joiner gets the last value first; a repeated JOIN does not repeat it', async () => {
    const { port } = await startRelay();
    const [pub, late] = await Promise.all([connect(port), connect(port)]);
    pub.publish('t', 'first');
    const last = pub.publish('t', 'second'); // only the latest is kept
    const mark = pub.publish('mark', 'barrier');
    late.join('t');
    expect(await late.next()).toEqual(last);
    late.join('t');
    await barrier(late, 'mark', mark);
    const live = pub.publish('t', 'third');
    expect(await late.next()).toEqual(live);
    expect(asChunkVector(decodeBrewFrame(live))).toMatchObject({ brewerId: 'ab'.repeat(16) });
  });

  it('RELAY-4 LEAVE stops delivery; LEAVE of a topic never joined is ignored', async () => {
    const { port } = await startRelay();
    const [pub, sub, watcher] = await Promise.all([connect(port), connect(port), connect(port)]);
    const mark = pub.publish('mark', 'barrier');
    sub.leave('never-joined');
    sub.join('t');
    watcher.join('t');
    await barrier(sub, 'mark', mark);
    await barrier(watcher, 'mark', mark);
    sub.leave('t');
    await barrier(sub, 'mark-2', pub.publish('mark-2', 'x')); // the LEAVE is processed
    const payload = pub.publish('t', 'after leave');
    expect(await watcher.next()).toEqual(payload); // the relay has handled the PUBLISH
    await barrier(sub, 'mark-3', pub.publish('mark-3', 'y'));
    expect(sub.received.some((f) => f.equals(payload))).toBe(false);
  });

  it('RELAY-6 a closed connection leaves every pool; empty pools go, last values stay, bounded oldest-first', async () => {
    const { relay, port } = await startRelay({ relayMaxLastValues: 2 });
    const [pub, gone, late] = await Promise.all([connect(port), connect(port), connect(port)]);
    gone.join('a');
    gone.join('b');
    const a = pub.publish('a', 'value a');
    expect(await gone.next()).toEqual(a);
    expect(relay.stats()).toMatchObject({ connections: 3, topics: 2, lastValues: 1 });
    gone.ws.close(1000);
    await gone.closed;
    await eventually(() => relay.stats().connections === 2);
    expect(relay.stats()).toMatchObject({ topics: 0, lastValues: 1 });
    const b = pub.publish('b', 'value b');
    const c = pub.publish('c', 'value c'); // evicts 'a', the oldest
    late.join('a');
    late.join('b');
    expect(await late.next()).toEqual(b); // nothing came for 'a', joined first
    late.join('c');
    expect(await late.next()).toEqual(c);
    expect(relay.stats()).toMatchObject({ lastValues: 2 });
  });

  it('RELAY-6 last values are bounded by bytes too: the oldest go until the rest fit', async () => {
    const { relay, port } = await startRelay({ relayMaxLastValueBytes: 600 });
    const [pub, late] = await Promise.all([connect(port), connect(port)]);
    pub.publish('a', 'a'.repeat(100));
    pub.publish('b', 'b'.repeat(100));
    const c = pub.publish('c', 'c'.repeat(300)); // past 600 bytes of brew frames: 'a' goes
    await eventually(() => relay.stats().lastValues === 2);
    late.join('a');
    late.join('c');
    expect(await late.next()).toEqual(c); // nothing came for 'a'
  });
});

describe('relay: limits and close codes', () => {
  it('RELAY-7 a frame larger than relayMaxFrameBytes closes 1009; the others are unaffected', async () => {
    const { port } = await startRelay({ relayMaxFrameBytes: 1024 });
    const [big, pub, sub] = await Promise.all([connect(port), connect(port), connect(port)]);
    big.ws.send(encodeRelayFrame(RelayFrameType.PUBLISH, topicHash('t'), new Uint8Array(1024)));
    expect((await big.closed).code).toBe(1009);
    sub.join('t');
    await barrier(sub, 'mark', pub.publish('mark', 'x'));
    const payload = pub.publish('t', 'still fine');
    expect(await sub.next()).toEqual(payload);
  });

  it('RELAY-8 joining more than relayMaxTopicsPerConnection topics closes 1008 "Limit exceeded."', async () => {
    const { port } = await startRelay({ relayMaxTopicsPerConnection: 3 });
    const [c, pub] = await Promise.all([connect(port), connect(port)]);
    for (const topic of ['a', 'b', 'c', 'a']) c.join(topic); // a repeated JOIN does not count
    const mark = pub.publish('c', 'x');
    expect(await c.next()).toEqual(mark); // still open with 3 topics
    c.join('d');
    expect(await c.closed).toEqual({ code: 1008, reason: 'Limit exceeded.' });
  });

  it('RELAY-9 slow consumer: a receiver that stops reading is closed 1008 "Slow consumer." while a fast one gets every frame', async () => {
    const { relay, port } = await startRelay({ relayMaxUnsentBytes: 64 * 1024 });
    const [pub, slow, fast] = await Promise.all([connect(port), connect(port), connect(port)]);
    slow.join('big');
    fast.join('big');
    await barrier(slow, 'mark', pub.publish('mark', 'x'));
    await barrier(fast, 'mark-fast', pub.publish('mark-fast', 'x'));
    slow.ws.pause(); // stops reading: the kernel buffers fill, then the relay's
    const text = 'x'.repeat(256 * 1024);
    let sent = 0;
    // Publish until the relay has cut the slow one (it leaves `connections` at once); the cap
    // (100 MB) only bounds a failure.
    while (relay.stats().connections === 3 && sent < 400) {
      const payload = pub.publish('big', text);
      sent++;
      expect((await fast.next()).equals(payload)).toBe(true);
    }
    expect(relay.stats().connections).toBe(2);
    expect(fast.received.length).toBe(sent + 1); // + the barrier
    slow.ws.resume();
    expect(await slow.closed).toEqual({ code: 1008, reason: 'Slow consumer.' });
    expect(slow.received.length).toBeLessThan(sent + 1);
    const after = pub.publish('big', 'after');
    expect(await fast.next()).toEqual(after);
  });

  it('RELAY-10 undecodable frames are dropped: the connection and the others carry on', async () => {
    const { port } = await startRelay({ maxErrorsPer10s: 10 });
    const [bad, pub, sub] = await Promise.all([connect(port), connect(port), connect(port)]);
    const join = encodeRelayFrame(RelayFrameType.JOIN, topicHash('t'));
    const unknown = Buffer.from(join);
    unknown[0] = 9;
    const trailing = Buffer.concat([join, Buffer.from([0])]);
    const short = join.subarray(0, 20);
    const publishShort = encodeRelayFrame(RelayFrameType.PUBLISH, topicHash('t'), new Uint8Array(8)).subarray(0, 44);
    for (const frame of [unknown, trailing, short, publishShort, new Uint8Array(0)]) bad.ws.send(frame);
    bad.ws.send('a text frame'); // counted too
    bad.ws.send(Buffer.from([0xff, 0xfe]), { binary: false }); // invalid UTF-8 text: not a 1007 either
    sub.join('t');
    bad.join('t'); // still serves the connection that sent garbage
    await barrier(sub, 'mark', pub.publish('mark', 'x'));
    await barrier(bad, 'mark-bad', pub.publish('mark-bad', 'x'));
    const payload = pub.publish('t', 'fine');
    expect(await sub.next()).toEqual(payload);
    expect(await bad.next()).toEqual(payload);
  });

  it('RELAY-10 too many errors: more than maxErrorsPer10s undecodable frames close 1008 "Too many errors."', async () => {
    const { port } = await startRelay({ maxErrorsPer10s: 3 });
    const [bad, pub, sub] = await Promise.all([connect(port), connect(port), connect(port)]);
    sub.join('t');
    for (let i = 0; i < 4; i++) bad.ws.send(new Uint8Array(3));
    expect(await bad.closed).toEqual({ code: 1008, reason: 'Too many errors.' });
    await barrier(sub, 'mark', pub.publish('mark', 'x'));
    const payload = pub.publish('t', 'fine');
    expect(await sub.next()).toEqual(payload);
  });

  it('RELAY-11 a connection that stops answering pings is terminated; the others stay', async () => {
    const { relay, port } = await startRelay({ pingIntervalMs: 40, maxMissedPongs: 2 });
    const [mute, fine] = await Promise.all([connect(port, { autoPong: false }), connect(port)]);
    expect((await mute.closed).code).toBe(1006); // no close handshake
    await eventually(() => relay.stats().connections === 1);
    expect(fine.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('RELAY-11 close() closes every connection 1001 "Server shutting down." and stops listening', async () => {
    const { relay, port } = await startRelay();
    const [a, b] = await Promise.all([connect(port), connect(port)]);
    a.join('t');
    await relay.close();
    expect(await a.closed).toEqual({ code: 1001, reason: 'Server shutting down.' });
    expect(await b.closed).toEqual({ code: 1001, reason: 'Server shutting down.' });
    await relay.close(); // idempotent
    const ws = openSocket(port);
    const err = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(err.message).toMatch(/ECONNREFUSED/);
  });
});
