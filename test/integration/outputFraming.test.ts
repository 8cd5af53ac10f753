import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { OutputCoalescer, type CoalescedSocket } from '../../src/server/edge/outputCoalescer.js';
import { buildFrame, buildHeader } from '../../src/server/edge/wsFrame.js';
import { connect, startRelay } from '../helpers/relay.js';
import { startTestServer } from '../helpers/server.js';

// The server frames data itself (one buffer per event, written to every socket) and coalesces each
// socket's output per event-loop turn. These tests hold it to RFC 6455 and to the byte.

// Payload sizes on each side of the 7-bit, 16-bit and 64-bit length forms.
const BOUNDARY_SIZES = [0, 1, 125, 126, 127, 65_535, 65_536, 70_000];

describe('WebSocket framing (RFC 6455 §5.2)', () => {
  it('matches the RFC §5.7 examples: unmasked "Hello", 256 and 65,536 bytes binary', () => {
    expect([...buildFrame(false, 'Hello')]).toEqual([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    expect([...buildFrame(true, Buffer.from('Hello'))]).toEqual([0x82, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    expect([...buildFrame(true, Buffer.alloc(256)).subarray(0, 4)]).toEqual([0x82, 0x7e, 0x01, 0x00]);
    expect([...buildHeader(true, 65_536)]).toEqual([0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
  });

  it('uses the shortest length form and counts UTF-8 bytes, not characters', () => {
    expect(buildFrame(false, 'x'.repeat(125))[1]).toBe(125);
    expect([...buildFrame(false, 'x'.repeat(126)).subarray(1, 4)]).toEqual([126, 0, 126]);
    expect([...buildFrame(false, 'x'.repeat(65_535)).subarray(1, 4)]).toEqual([126, 0xff, 0xff]);
    const accented = buildFrame(false, 'é'.repeat(63)); // 126 bytes in 63 characters
    expect([...accented.subarray(1, 4)]).toEqual([126, 0, 126]);
    expect(accented.subarray(4).toString('utf8')).toBe('é'.repeat(63));
    expect([...buildHeader(false, 2 ** 32 + 5)]).toEqual([0x81, 127, 0, 0, 0, 1, 0, 0, 0, 5]);
  });
});

/** A real Writable that records each batch the stream hands down: one entry per write syscall it would make. */
function recordingSocket(): CoalescedSocket & { batches: Buffer[][] } {
  const batches: Buffer[][] = [];
  const socket = new Writable({
    writev(chunks, callback) {
      batches.push(chunks.map((c) => c.chunk as Buffer));
      callback();
    },
    write(chunk: Buffer, _encoding, callback) {
      batches.push([chunk]);
      callback();
    },
  });
  return Object.assign(socket as unknown as CoalescedSocket, { socket, corked: false, heldBytes: 0, batches }) as CoalescedSocket & { batches: Buffer[][] };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('output coalescing', () => {
  it('everything written to a socket in one turn leaves in one batch, in order, and counts as unsent until then', async () => {
    const output = new OutputCoalescer();
    const target = recordingSocket();
    for (let i = 0; i < 100; i++) output.write(target, Buffer.from([i]));
    expect(target.batches).toEqual([]);
    expect(target.socket.writableLength).toBe(100);
    await nextTurn();
    expect(target.batches).toHaveLength(1);
    expect(Buffer.concat(target.batches[0] ?? [])).toEqual(Buffer.from(Array.from({ length: 100 }, (_, i) => i)));
    expect(target.socket.writableLength).toBe(0);
  });

  it('many sockets written in one turn are flushed by one pass; the next turn starts afresh', async () => {
    const output = new OutputCoalescer();
    const targets = Array.from({ length: 50 }, recordingSocket);
    for (let round = 0; round < 3; round++) for (const t of targets) output.write(t, Buffer.from([round]));
    await nextTurn();
    for (const t of targets) expect(t.batches).toEqual([[Buffer.from([0]), Buffer.from([1]), Buffer.from([2])]]);
    for (const t of targets) output.write(t, Buffer.from([9]));
    await nextTurn();
    for (const t of targets) expect(t.batches.at(-1)).toEqual([Buffer.from([9])]);
  });

  it('a socket past the byte cap is flushed at once, and what follows is held again', async () => {
    const output = new OutputCoalescer(1000);
    const target = recordingSocket();
    for (let i = 0; i < 25; i++) output.write(target, Buffer.alloc(100, i));
    // Two flushes at 1,000 bytes each; the last 500 wait for the turn's end.
    expect(target.batches.map((b) => b.length)).toEqual([10, 10]);
    await nextTurn();
    expect(target.batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(Buffer.concat(target.batches.flat())).toEqual(Buffer.concat(Array.from({ length: 25 }, (_, i) => Buffer.alloc(100, i))));
  });

  it('flushOne sends what a socket holds now, and the turn does not uncork it twice', async () => {
    const output = new OutputCoalescer();
    const target = recordingSocket();
    output.write(target, Buffer.from('a'));
    output.flushOne(target);
    expect(target.batches).toEqual([[Buffer.from('a')]]);
    target.socket.cork(); // someone else's cork must survive our end-of-turn pass
    await nextTurn();
    expect(target.socket.writableCorked).toBe(1);
  });
});

describe('pre-framed output over real sockets', () => {
  it('relay: binary frames of every length form reach every joined peer byte for byte, in order', async () => {
    const { port } = await startRelay();
    const [pub, a, b] = await Promise.all([connect(port), connect(port), connect(port)]);
    const mark = pub.publish('mark', 'm');
    for (const c of [a, b]) c.join('t');
    for (const c of [a, b]) c.join('mark');
    for (const c of [a, b]) expect(await c.next()).toEqual(mark);
    const sent = BOUNDARY_SIZES.map((size) => pub.publish('t', 'x'.repeat(size)));
    for (const c of [a, b]) for (const payload of sent) expect(await c.next()).toEqual(payload);
  });

  it('JSON: notifications of every length form arrive whole, interleaved with pings the server answers', async () => {
    const t = await startTestServer();
    const brewer = await t.client('brewer');
    const subscriber = await t.client('subscriber');
    await subscriber.subscribe('big.*');
    const seen: string[] = [];
    subscriber.on('notify', (event: { brewer: { uuid: string; pad: string } }) => seen.push(`${event.brewer.uuid}:${event.brewer.pad.length}`));
    let pongs = 0;
    subscriber.socket.on('pong', () => pongs++);
    // Brewer objects sized so the notification frames straddle 125, 65,535 and 65,536 bytes.
    const pads = [1, 60, 61, 62, 65_400, 65_440, 65_460, 65_470];
    const expected: string[] = [];
    for (const [i, pad] of pads.entries()) {
      brewer.send(Packet.BREWER_REGISTER, { topic: `big.${i}`, brewer: { uuid: `u${i}`, pad: 'p'.repeat(pad) } });
      subscriber.socket.ping();
      expected.push(`u${i}:${pad}`);
    }
    await brewer.sync();
    await subscriber.sync();
    expect(seen).toEqual(expected);
    await new Promise<void>((resolve) => {
      const check = (): void => (pongs === pads.length ? resolve() : void subscriber.socket.once('pong', check));
      check();
    });
  });
});
