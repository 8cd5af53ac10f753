import { afterEach, describe, expect, it, vi } from 'vitest';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { BrewerEvent } from '../../../src/core/brewerEvent.js';
import { operations } from '../../../src/core/operations/index.js';
import { memoryHub } from '../hub.js';

describe('core: fan-out and session guards over an in-memory connection', () => {
  afterEach(() => vi.useRealTimers());

  it('encodes a notification once and sends the same frame to every subscriber', () => {
    const { hub, open } = memoryHub();
    const subscribers = Array.from({ length: 5 }, (_, i) => open(`s${i}`));
    for (const s of subscribers) s.send(Packet.SUBSCRIBE, { topic: 'a.*' });
    const spy = vi.spyOn(BrewerEvent.prototype, 'frame');
    const brewer = open('b');
    brewer.send(Packet.BREWER_REGISTER, { topic: 'a.b', brewer: { uuid: 'u' } });
    const event = spy.mock.contexts[0] as BrewerEvent;
    expect(event.encodings).toBe(1);
    expect(spy).toHaveBeenCalledTimes(5);
    const first = subscribers[0]!.conn.frames[0];
    for (const s of subscribers) expect(s.conn.frames).toEqual([first]);
    expect(hub.stats.notificationsSent).toBe(5);
    spy.mockRestore();
  });

  it('snapshots reuse the registration\'s encoded frame', () => {
    const { open } = memoryHub();
    const brewer = open('b');
    brewer.send(Packet.BREWER_REGISTER, { topic: 'a.b', brewer: { uuid: 'u' } });
    const spy = vi.spyOn(BrewerEvent.prototype, 'frame');
    for (let i = 0; i < 3; i++) open(`s${i}`).send(Packet.SUBSCRIBE, { topic: '**' });
    const events = new Set(spy.mock.contexts as BrewerEvent[]);
    expect(events.size).toBe(1);
    expect([...events][0]!.encodings).toBe(1);
    spy.mockRestore();
  });

  it('a slow consumer is cut with 1008 "Slow consumer." while the others keep receiving', async () => {
    const { hub, open } = memoryHub({ maxUnsentBytes: 1000 });
    const slow = open('slow');
    const fast = open('fast');
    slow.send(Packet.SUBSCRIBE, { topic: '**' });
    fast.send(Packet.SUBSCRIBE, { topic: '**' });
    slow.conn.bufferedAmount = 5000;
    const brewer = open('b');
    for (let i = 0; i < 10; i++) brewer.send(Packet.BREWER_REGISTER, { topic: `t.${i}`, brewer: { uuid: `u${i}` } });
    // Cut at once (nothing more is sent), closed on the next microtask, outside the fan-out.
    expect(slow.session.cut).toBe(true);
    expect(slow.conn.frames).toEqual([]);
    await Promise.resolve();
    expect(slow.conn.closedWith).toEqual({ code: 1008, reason: 'Slow consumer.' });
    expect(slow.session.closed).toBe(true);
    expect(fast.conn.json().filter((f) => f[0] === Packet.BREWER_NOTIFY)).toHaveLength(10);
    expect(hub.subscriptions.size).toBe(1);
  });

  it('an error flood closes 1008 after max-errors-per-10s, and the window resets after 10 s', () => {
    vi.useFakeTimers();
    const { open } = memoryHub({ maxErrorsPer10s: 5 });
    const c = open('c');
    for (let i = 0; i < 5; i++) c.json.onText('bad');
    expect(c.conn.closedWith).toBeUndefined();
    vi.advanceTimersByTime(10_000);
    for (let i = 0; i < 5; i++) c.json.onText('bad');
    expect(c.conn.closedWith).toBeUndefined();
    c.json.onText('bad');
    expect(c.conn.closedWith).toEqual({ code: 1008, reason: 'Too many errors.' });
  });

  it('the auth timeout closes an unauthenticated session 4001 and never an authenticated one', () => {
    vi.useFakeTimers();
    const { open } = memoryHub({ authTimeoutMs: 1000 });
    const anon = open();
    const authed = open('alice');
    vi.advanceTimersByTime(1000);
    expect(anon.conn.closedWith?.code).toBe(4001);
    expect(authed.conn.closedWith).toBeUndefined();
  });

  it('an unexpected throw costs one packet, answered as an ERROR, never the session', () => {
    const { open } = memoryHub();
    const c = open('alice');
    const boom = vi.spyOn(operations, 'subscribe').mockImplementationOnce(() => {
      throw new Error('bug');
    });
    c.send(Packet.SUBSCRIBE, { topic: 'a' });
    expect(c.conn.json()).toEqual([[Packet.ERROR, { message: 'Internal error' }]]);
    boom.mockRestore();
    c.send(Packet.SUBSCRIBE, { topic: 'a' });
    expect(c.session.subscriptions.has('a')).toBe(true);
  });
});
