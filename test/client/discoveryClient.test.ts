import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiscoveryClient, type DiscoveryClientError, type DiscoveryClientOptions } from '../../src/client/discoveryClient.js';
import { InvalidMessageError } from '../../src/client/inbound.js';
import type { BrewerEventArgs } from '../../src/client/pubkeeperClient.js';
import { TokenRefusedError, type DiscoveryTransport, type SessionHandlers, type TransportSession } from '../../src/client/transports.js';
import type { TokenRequest } from '../../src/client/tokenRefresh.js';
import type { Brewer } from '../../src/protocol/pubkeeper/packets.js';

/** A session whose server is this test: it records requests and answers them at once. */
class FakeSession implements TransportSession {
  closed = false;
  readonly calls: string[] = [];
  /** What a subscribe's snapshot delivers before it is acknowledged. */
  snapshot: BrewerEventArgs[] = [];

  constructor(
    readonly url: string,
    readonly token: string,
    private readonly handlers: SessionHandlers,
  ) {}

  async registerBrewer(topic: string, brewer: Brewer): Promise<void> {
    this.calls.push(`register ${topic} ${brewer.uuid}`);
  }
  async unregisterBrewer(topic: string, uuid: string): Promise<void> {
    this.calls.push(`unregister ${topic} ${uuid}`);
  }
  async subscribe(pattern: string): Promise<void> {
    this.calls.push(`subscribe ${pattern}`);
    for (const event of this.snapshot) this.handlers.notify(event);
  }
  async unsubscribe(pattern: string): Promise<void> {
    this.calls.push(`unsubscribe ${pattern}`);
  }
  async refreshToken(token: string): Promise<void> {
    this.calls.push(`refresh ${token}`);
  }
  async close(code: number): Promise<void> {
    this.calls.push(`close ${code}`);
    this.drop(code);
  }
  /** A live notification from the server. */
  notify(event: BrewerEventArgs): void {
    this.handlers.notify(event);
  }
  /** A message the SDK client dropped. */
  invalid(error: InvalidMessageError): void {
    this.handlers.invalid(error);
  }
  /** The server (or the network) ends the session. */
  drop(code: number, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.close(code, reason);
  }
}

class FakeTransport implements DiscoveryTransport {
  readonly name = 'fake';
  readonly sessions: FakeSession[] = [];
  readonly attempts: { url: string; token: string }[] = [];
  /** Errors the next attempts throw, in order. */
  readonly failures: Error[] = [];
  /** Prepared before the session exists, so a replayed subscribe sees it. */
  nextSnapshot: BrewerEventArgs[] = [];

  async connect(url: string, token: string, handlers: SessionHandlers): Promise<TransportSession> {
    this.attempts.push({ url, token });
    const failure = this.failures.shift();
    if (failure) throw failure;
    const session = new FakeSession(url, token, handlers);
    session.snapshot = this.nextSnapshot;
    this.sessions.push(session);
    return session;
  }

  get last(): FakeSession {
    const session = this.sessions.at(-1);
    if (!session) throw new Error('no session yet');
    return session;
  }
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>): string => `${b64({ alg: 'ES256' })}.${b64(claims)}.sig`;

interface Harness {
  client: DiscoveryClient;
  transport: FakeTransport;
  tokenRequests: TokenRequest['reason'][];
  log: string[];
}

function harness(options: Partial<DiscoveryClientOptions> = {}, tokens: (request: TokenRequest) => string = () => 'token'): Harness {
  const transport = new FakeTransport();
  const tokenRequests: TokenRequest['reason'][] = [];
  const log: string[] = [];
  const client = new DiscoveryClient({
    url: 'ws://a/ws',
    token: (request) => {
      tokenRequests.push(request.reason);
      return tokens(request);
    },
    transport,
    backoff: { baseMs: 100, capMs: 1000, stableAfterMs: 10_000, pauseMs: 300_000 },
    random: () => 0.5,
    ...options,
  });
  client.on('connected', ({ url }) => log.push(`connected ${url}`));
  client.on('disconnected', ({ code }) => log.push(`disconnected ${code}`));
  client.on('reconnecting', ({ attempt, delayMs, url }) => log.push(`reconnecting ${attempt} ${delayMs} ${url}`));
  client.on('brewerAdded', ({ topic, brewer }) => log.push(`added ${topic} ${brewer.uuid}`));
  client.on('brewerRemoved', ({ topic, brewer }) => log.push(`removed ${topic} ${brewer.uuid}`));
  client.on('error', (error) => log.push(`error ${error.operation}`));
  return { client, transport, tokenRequests, log };
}

/**
 * A client that subscribed, saw `brewer` in its snapshot, then lost its session (1001) to a server
 * whose next snapshot lacks it; the log starts empty at the drop.
 */
async function droppedAfterSeeing(brewer: { topic: string; brewer: { uuid: string } }, reconcileSettleMs: number): Promise<Harness> {
  const h = harness({ reconcileSettleMs });
  h.transport.nextSnapshot = [brewer];
  await h.client.subscribe('s.*');
  await h.client.connect();
  h.transport.nextSnapshot = [];
  h.log.length = 0;
  h.transport.last.drop(1001);
  return h;
}

/** Lets promise chains settle without moving the fake clock. */
const settle = (): Promise<void> => vi.advanceTimersByTimeAsync(0).then(() => undefined);

describe('client: DiscoveryClient policy over a fake transport', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('no retry after 4005 or 4004 within the pause; the attempt comes after it', async () => {
    for (const code of [4005, 4004]) {
      const { client, transport, tokenRequests, log } = harness();
      await client.connect();
      transport.last.drop(code);
      expect(log.at(-1)).toBe('reconnecting 1 300050 ws://a/ws'); // pause + half of the 100 ms window
      await vi.advanceTimersByTimeAsync(300_049);
      expect(transport.attempts).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(transport.attempts).toHaveLength(2);
      expect(log.at(-1)).toBe('connected ws://a/ws');
      // A revoked token is not offered again; a kick says nothing about the token.
      expect(tokenRequests).toEqual(['connect', code === 4004 ? 'rejected' : 'reconnect']);
      await client.close();
    }
  });

  it('on 4003 and 4001 asks the provider for a new token before reconnecting, with the normal backoff', async () => {
    for (const code of [4003, 4001]) {
      let n = 0;
      const { client, transport, tokenRequests } = harness({}, () => `t${++n}`);
      await client.connect();
      transport.last.drop(code);
      expect(tokenRequests).toEqual(['connect']);
      await vi.advanceTimersByTimeAsync(50);
      expect(tokenRequests).toEqual(['connect', 'rejected']);
      expect(transport.attempts.map((a) => a.token)).toEqual(['t1', 't2']);
      await client.close();
    }
  });

  it('a token the server refuses is not offered again: the next attempt asks with reason "rejected"', async () => {
    const { client, transport, tokenRequests, log } = harness();
    transport.failures.push(new TokenRefusedError('token refused'));
    void client.connect();
    await settle();
    expect(log).toEqual(['error connect', 'reconnecting 1 50 ws://a/ws']);
    await vi.advanceTimersByTimeAsync(50);
    expect(tokenRequests).toEqual(['connect', 'rejected']);
    await client.close();
  });

  it('never reconnects at once after a clean drop; a flapping server pushes the window up until a session lasts', async () => {
    const { client, transport, log } = harness({ random: () => 0.999 });
    await client.connect();
    const delays: number[] = [];
    client.on('reconnecting', ({ delayMs }) => delays.push(delayMs));
    for (let i = 0; i < 5; i++) {
      transport.last.drop(1000); // accepted, then dropped cleanly at once
      expect(transport.attempts).toHaveLength(i + 1); // nothing before the timer
      await vi.advanceTimersByTimeAsync(delays.at(-1) ?? 0);
    }
    expect(delays).toEqual([99, 199, 399, 799, 999]);
    // A session that stays up 10 s resets the counter.
    await vi.advanceTimersByTimeAsync(10_000);
    transport.last.drop(1001);
    expect(delays.at(-1)).toBe(99);
    expect(log.filter((l) => l.startsWith('disconnected'))).toHaveLength(6);
    await client.close();
  });

  it('tries several server URLs in turn', async () => {
    const { client, transport } = harness({ url: ['ws://a/ws', 'ws://b/ws', 'ws://c/ws'] });
    transport.failures.push(new Error('ECONNREFUSED'), new Error('ECONNREFUSED'));
    void client.connect();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(transport.attempts.map((a) => a.url)).toEqual(['ws://a/ws', 'ws://b/ws', 'ws://c/ws']);
    transport.last.drop(1006);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(transport.attempts.at(-1)?.url).toBe('ws://a/ws');
    await client.close();
  });

  it('refreshes the token on the live session before exp, and again for the fresh one', async () => {
    const start = Date.now();
    const iat = Math.floor(start / 1000);
    let n = 0;
    const { client, transport, tokenRequests, log } = harness({}, () => jwt({ iat, exp: iat + 100, n: ++n }));
    await client.connect();
    expect(transport.last.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync((iat + 70) * 1000 - start - 1); // 30 s before exp, less a ms
    expect(tokenRequests).toEqual(['connect']);
    await vi.advanceTimersByTimeAsync(1);
    expect(tokenRequests).toEqual(['connect', 'refresh']);
    expect(transport.last.calls).toEqual([`refresh ${jwt({ iat, exp: iat + 100, n: 2 })}`]);
    expect(transport.sessions).toHaveLength(1);
    expect(log.filter((l) => l.startsWith('disconnected'))).toEqual([]);
    // The fresh token arrived 70 s into its 100 s life: the next refresh waits half of what is left.
    await vi.advanceTimersByTimeAsync(15_000);
    expect(tokenRequests).toEqual(['connect', 'refresh', 'refresh']);
    await client.close();
  });

  it('a provider handing back the same token is not sent again; the session then ends 4003 and the reconnect asks as "rejected"', async () => {
    const iat = Math.floor(Date.now() / 1000);
    const token = jwt({ iat, exp: iat + 10 });
    const fresh = jwt({ iat: iat + 10, exp: iat + 3600 });
    const { client, transport, tokenRequests } = harness({}, (request) => (request.reason === 'rejected' ? fresh : token));
    await client.connect();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(tokenRequests).toEqual(['connect', 'refresh']);
    expect(transport.last.calls).toEqual([]);
    transport.last.drop(4003);
    await vi.advanceTimersByTimeAsync(100);
    expect(tokenRequests).toEqual(['connect', 'refresh', 'rejected']);
    expect(transport.attempts.map((a) => a.token)).toEqual([token, fresh]);
    await client.close();
  });

  it('records calls while disconnected, applies them on connect, and resolves them then', async () => {
    const { client, transport } = harness();
    transport.failures.push(new Error('ECONNREFUSED'));
    let registered = false;
    let subscribed = false;
    void client.registerBrewer('s.a', { uuid: 'u1' }).then(() => (registered = true));
    void client.subscribe('s.*').then(() => (subscribed = true));
    await settle();
    expect([registered, subscribed]).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(50);
    expect(transport.last.calls).toEqual(['register s.a u1', 'subscribe s.*']);
    expect([registered, subscribed]).toEqual([true, true]);
    await client.close();
    expect(transport.last.calls.slice(2)).toEqual(['unregister s.a u1', 'close 1000']);
  });

  it('replays registrations and subscriptions after a drop and reconciles the snapshot with what it knew', async () => {
    const { client, transport, log } = harness();
    transport.nextSnapshot = [
      { topic: 's.gone', brewer: { uuid: 'g' } },
      { topic: 's.same', brewer: { uuid: 's', port: 1 } },
      { topic: 's.changed', brewer: { uuid: 'c', port: 1 } },
    ];
    await client.subscribe('s.*');
    await client.registerBrewer('s.mine', { uuid: 'm' });
    transport.nextSnapshot = [
      { topic: 's.same', brewer: { port: 1, uuid: 's' } },
      { topic: 's.changed', brewer: { uuid: 'c', port: 2 } },
      { topic: 's.new', brewer: { uuid: 'n' } },
    ];
    log.length = 0;
    transport.last.drop(1001);
    await vi.advanceTimersByTimeAsync(50);
    expect(transport.last.calls).toEqual(['register s.mine m', 'subscribe s.*']);
    // Additions at once; the missing brewer waits out the settle window (default 1500 ms), and
    // `connected` follows it.
    expect(log).toEqual(['disconnected 1001', 'reconnecting 1 50 ws://a/ws', 'added s.changed c', 'added s.new n']);
    expect(client.connected).toBe(false);
    await vi.advanceTimersByTimeAsync(1499);
    expect(log).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(log.slice(4)).toEqual(['removed s.gone g', 'connected ws://a/ws']);
    expect(client.brewers().map((b) => b.brewer.uuid).sort()).toEqual(['c', 'n', 's']);
    await client.close();
  });

  it('a brewer missing from the snapshot that is notified within the settle window is never reported removed', async () => {
    const { client, transport, log } = harness({ reconcileSettleMs: 1000 });
    const late = { topic: 's.late', brewer: { uuid: 'l', port: 1 } };
    const gone = { topic: 's.gone', brewer: { uuid: 'g' } };
    transport.nextSnapshot = [late, gone];
    await client.subscribe('s.*');
    await client.connect();
    transport.nextSnapshot = []; // the restarted server knows nothing yet
    log.length = 0;
    transport.last.drop(1001);
    await vi.advanceTimersByTimeAsync(50);
    expect(log).toEqual(['disconnected 1001', 'reconnecting 1 50 ws://a/ws']);
    await vi.advanceTimersByTimeAsync(400);
    transport.last.notify({ topic: 's.late', brewer: { port: 1, uuid: 'l' } }); // its owner replayed it
    transport.last.notify({ topic: 's.fresh', brewer: { uuid: 'f' } });
    expect(log.slice(2)).toEqual(['added s.fresh f']); // at once
    await vi.advanceTimersByTimeAsync(600);
    expect(log.slice(3)).toEqual(['removed s.gone g', 'connected ws://a/ws']);
    expect(client.brewers().map((b) => b.brewer.uuid).sort()).toEqual(['f', 'l']);
    await client.close();
  });

  it('connected comes early once every missing brewer is back; with reconcileSettleMs 0 removals come with the snapshot', async () => {
    const a = { topic: 's.a', brewer: { uuid: 'a' } };
    const { client, transport, log } = await droppedAfterSeeing(a, 1000);
    await vi.advanceTimersByTimeAsync(50 + 100);
    expect(log).toEqual(['disconnected 1001', 'reconnecting 1 50 ws://a/ws']);
    transport.last.notify(a);
    await settle();
    expect(log.slice(2)).toEqual(['connected ws://a/ws']);
    await client.close();

    const zero = await droppedAfterSeeing(a, 0);
    await vi.advanceTimersByTimeAsync(50);
    expect(zero.log).toEqual(['disconnected 1001', 'reconnecting 1 50 ws://a/ws', 'removed s.a a', 'connected ws://a/ws']);
    await zero.client.close();
    expect(() => new DiscoveryClient({ url: 'ws://a/ws', token: 't', reconcileSettleMs: -1 })).toThrow(
      'DiscoveryClient: reconcileSettleMs must be a number of ms, 0 or more.',
    );
  });

  it('a session lost within the settle window reports nothing; the next session decides', async () => {
    const a = { topic: 's.a', brewer: { uuid: 'a' } };
    const { client, transport, log } = await droppedAfterSeeing(a, 1000);
    await vi.advanceTimersByTimeAsync(50 + 500);
    transport.last.drop(1006); // never reported connected: no disconnected either
    transport.nextSnapshot = [a];
    await vi.advanceTimersByTimeAsync(5_000);
    expect(log).toEqual(['disconnected 1001', 'reconnecting 1 50 ws://a/ws', 'reconnecting 2 100 ws://a/ws', 'connected ws://a/ws']);
    expect(client.brewers()).toEqual([a]);
    await client.close();
  });

  it('a message the session dropped is reported as an error with operation "inbound" and its code', async () => {
    const { client, transport } = harness();
    const errors: DiscoveryClientError[] = [];
    client.on('error', (error) => errors.push(error));
    await client.connect();
    const dropped = new InvalidMessageError('SENDER_MISMATCH', 'pubkeeper/brewer_notify from pcp://mallory/agent ignored');
    transport.last.invalid(dropped);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ operation: 'inbound', code: 'SENDER_MISMATCH', cause: dropped });
    expect(errors[0]?.message).toContain('pcp://mallory/agent');
    await client.close();
  });

  it('close() unregisters every brewer, then closes 1000 and never reconnects', async () => {
    const { client, transport, log } = harness();
    await client.registerBrewer('s.a', { uuid: 'a' });
    await client.registerBrewer('s.b', { uuid: 'b' });
    await client.close();
    expect(transport.last.calls).toEqual(['register s.a a', 'register s.b b', 'unregister s.a a', 'unregister s.b b', 'close 1000']);
    expect(log).toEqual(['connected ws://a/ws', 'disconnected 1000']);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(transport.attempts).toHaveLength(1);
    await expect(client.registerBrewer('s.c', { uuid: 'c' })).rejects.toThrow('the client was closed');
  });

  it('close() while waiting to reconnect cancels the retry and rejects what was still pending', async () => {
    const { client, transport } = harness();
    await client.connect();
    transport.last.drop(4005);
    const pending = client.subscribe('x.*');
    await client.close();
    await expect(pending).rejects.toThrow('the client was closed');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(transport.attempts).toHaveLength(1);
  });

  it('refuses a backoff that would retry at once, in one sentence', () => {
    expect(() => new DiscoveryClient({ url: 'ws://a/ws', token: 't', backoff: { baseMs: 0 } })).toThrow(
      'DiscoveryClient: backoff.baseMs must be above 0 and backoff.capMs at least baseMs.',
    );
    expect(() => new DiscoveryClient({ url: [], token: 't' })).toThrow('DiscoveryClient needs at least one server URL.');
  });
});
