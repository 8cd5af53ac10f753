import { once } from 'node:events';
import { createServer, connect as connectTcp, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { OutputCoalescer, type CoalescedSocket } from '../../src/server/edge/outputCoalescer.js';
import { buildFrame, buildHeader, preFramedBinary } from '../../src/server/edge/wsFrame.js';
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

  it('a pre-framed binary frame holds its payload once: the data is a view into the wire bytes', () => {
    for (const size of BOUNDARY_SIZES) {
      const source = Buffer.alloc(size, 5);
      const frame = preFramedBinary(source);
      expect(Buffer.from(frame.data)).toEqual(source);
      expect(frame.wire).toEqual(buildFrame(true, source));
      expect((frame.data as Uint8Array).buffer).toBe(frame.wire?.buffer);
      source.fill(6); // a copy: the buffer it was read from is not pinned, nor followed
      expect(frame.data[0]).not.toBe(6);
    }
  });
});

type RecordingSocket = CoalescedSocket & { batches: Buffer[]; open: boolean };

/**
 * A real Writable that records each buffer handed to it: one per write syscall a socket would make.
 * It starts in a flood (busy in a new coalescer's "last flush", which ended just now), so a turn's
 * frames are all held; `idle` makes it a socket that has been quiet, whose turn's first frame goes
 * at once.
 */
function recordingSocket(idle = false): RecordingSocket {
  const batches: Buffer[] = [];
  const socket = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      // A copy, as a socket's kernel buffer would hold: the coalescer reuses what was written whole.
      batches.push(Buffer.from(chunk));
      callback();
    },
  });
  return { socket, held: undefined, heldBytes: 0, lastBusyFlush: idle ? -1 : 0, turnFrames: 0, open: true, batches };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const bytes = (...values: number[]): Buffer => Buffer.from(values);

describe('output coalescing', () => {
  it('everything written to a socket in one turn leaves as one buffer, in order, counted as held until then', async () => {
    const output = new OutputCoalescer();
    const target = recordingSocket();
    for (let i = 0; i < 100; i++) output.write(target, bytes(i));
    expect(target.batches).toEqual([]);
    expect(target.heldBytes).toBe(100);
    await nextTurn();
    expect(target.batches).toEqual([Buffer.from(Array.from({ length: 100 }, (_, i) => i))]);
    expect(target.heldBytes).toBe(0);
  });

  it('a socket idle until now gets its first frame at once, the rest of the turn in one buffer; a flooded one waits', async () => {
    const output = new OutputCoalescer();
    const target = recordingSocket(true);
    for (let i = 0; i < 5; i++) output.write(target, bytes(i));
    expect(target.batches).toEqual([bytes(0)]);
    expect(target.heldBytes).toBe(4);
    await nextTurn();
    expect(target.batches).toEqual([bytes(0), bytes(1, 2, 3, 4)]);
    // It had output a moment ago: the next turn's frames are all held for its one write.
    for (let i = 5; i < 8; i++) output.write(target, bytes(i));
    expect(target.batches).toHaveLength(2);
    await nextTurn();
    expect(target.batches).toEqual([bytes(0), bytes(1, 2, 3, 4), bytes(5, 6, 7)]);
  });

  it('a socket sent one frame a turn keeps getting it at once: nothing to coalesce with', async () => {
    const output = new OutputCoalescer();
    const target = recordingSocket(true);
    for (let turn = 0; turn < 3; turn++) {
      output.write(target, bytes(turn));
      expect(target.batches).toHaveLength(turn + 1); // written as it came, not at the turn's end
      await nextTurn();
    }
    expect(target.batches).toEqual([bytes(0), bytes(1), bytes(2)]);
  });

  it('a lone frame is written as it is, not copied', async () => {
    const output = new OutputCoalescer();
    const target = recordingSocket();
    const written: Uint8Array[] = [];
    target.socket.write = ((chunk: Uint8Array) => written.push(chunk) > 0) as typeof target.socket.write;
    const frame = bytes(1, 2, 3);
    output.write(target, frame);
    await nextTurn();
    expect(written[0]).toBe(frame);
  });

  it('many sockets written in one turn are flushed by one pass; the next turn starts afresh', async () => {
    const output = new OutputCoalescer();
    const targets = Array.from({ length: 50 }, recordingSocket);
    for (let round = 0; round < 3; round++) for (const t of targets) output.write(t, bytes(round));
    await nextTurn();
    for (const t of targets) expect(t.batches).toEqual([bytes(0, 1, 2)]);
    for (const t of targets) output.write(t, bytes(9));
    await nextTurn();
    for (const t of targets) expect(t.batches).toEqual([bytes(0, 1, 2), bytes(9)]);
  });

  it('a socket past the byte cap is written at once, and what follows is held again', async () => {
    const output = new OutputCoalescer(1000);
    const target = recordingSocket();
    for (let i = 0; i < 25; i++) output.write(target, Buffer.alloc(100, i));
    expect(target.batches.map((b) => b.length)).toEqual([1000, 1000]);
    await nextTurn();
    expect(target.batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(Buffer.concat(target.batches)).toEqual(Buffer.concat(Array.from({ length: 25 }, (_, i) => Buffer.alloc(100, i))));
  });

  it('a chunk past the cap goes after what is held, uncopied', async () => {
    const output = new OutputCoalescer(1000);
    const target = recordingSocket();
    const big = Buffer.alloc(5000, 7);
    output.write(target, bytes(1));
    output.write(target, big);
    output.write(target, bytes(2));
    expect(target.batches).toEqual([bytes(1), big]);
    await nextTurn();
    expect(target.batches).toEqual([bytes(1), big, bytes(2)]);
  });

  it('flushOne writes what a socket holds now; a socket closed meanwhile gets nothing more', async () => {
    const output = new OutputCoalescer();
    const kept = recordingSocket();
    output.write(kept, bytes(1));
    output.flushOne(kept);
    expect(kept.batches).toEqual([bytes(1)]);
    const closing = recordingSocket();
    output.write(closing, bytes(1));
    closing.open = false;
    await nextTurn();
    expect(kept.batches).toEqual([bytes(1)]);
    expect(closing.batches).toEqual([]);
    expect(closing.heldBytes).toBe(0);
  });
});

/** A connected pair of real TCP sockets on 127.0.0.1, closed when the test ends. */
async function tcpPair(): Promise<{ sender: Socket; receiver: Socket; close(): void }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const receiver = connectTcp(address.port, '127.0.0.1');
  const [sender] = await accepted;
  return {
    sender,
    receiver,
    close: () => {
      sender.destroy();
      receiver.destroy();
      server.close();
    },
  };
}

describe('output coalescing over a real socket', () => {
  it('under backpressure every byte arrives in order: joined writes the kernel did not take are never reused', async () => {
    const { sender, receiver, close } = await tcpPair();
    try {
      receiver.pause(); // the peer stops reading: the kernel fills, then the stream holds writes
      const output = new OutputCoalescer();
      const target: CoalescedSocket = { socket: sender, held: undefined, heldBytes: 0, lastBusyFlush: 0, turnFrames: 0, open: true };
      const expected: Buffer[] = [];
      // 16 MB in 400 turns: past what loopback's buffers take while nobody reads.
      for (let turn = 0; turn < 400; turn++) {
        for (let i = 0; i < 40; i++) {
          const chunk = Buffer.alloc(800 + ((turn * 40 + i) % 400), (turn * 40 + i) % 251);
          expected.push(chunk);
          output.write(target, chunk);
        }
        await nextTurn();
      }
      expect(sender.writableLength).toBeGreaterThan(0); // the test did reach backpressure
      const want = Buffer.concat(expected);
      const got: Buffer[] = [];
      let length = 0;
      receiver.on('data', (data: Buffer) => {
        got.push(data);
        length += data.length;
      });
      receiver.resume();
      while (length < want.length) await once(receiver, 'data');
      expect(Buffer.concat(got).equals(want)).toBe(true);
    } finally {
      close();
    }
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
    subscriber.on('notify', (event) => seen.push(`${event.brewer.uuid}:${String(event.brewer.pad).length}`));
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
