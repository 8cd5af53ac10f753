import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { describe, expect, it, onTestFinished } from 'vitest';
import { seededRandom } from '../../src/client/backoff.js';
import { DiscoveryClient, type DiscoveryClientEvents, type DiscoveryClientOptions } from '../../src/client/discoveryClient.js';
import { PubkeeperClient, type BrewerEventArgs } from '../../src/client/pubkeeperClient.js';
import { readTokenTimes, type TokenReason } from '../../src/client/tokenRefresh.js';
import { pcpTransport, pubkeeperTransport, type DiscoveryTransport } from '../../src/client/transports.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Hub } from '../../src/core/hub.js';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { PubkeeperServer } from '../../src/server/pubkeeperServer.js';
import { closed, recordFrames } from '../helpers/frames.js';
import { tempKeys } from '../helpers/keys.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A DiscoveryClient closed when the test ends. */
function discovery(options: DiscoveryClientOptions): DiscoveryClient {
  const client = new DiscoveryClient(options);
  onTestFinished(() => client.close());
  return client;
}

/** The next `event` whose arguments satisfy `pred`. The timeout only bounds a failure. */
function next<K extends keyof DiscoveryClientEvents>(
  client: DiscoveryClient,
  event: K,
  pred: (...args: DiscoveryClientEvents[K]) => boolean = () => true,
  ms = 5000,
): Promise<DiscoveryClientEvents[K]> {
  const emitter = client as unknown as NodeJS.EventEmitter;
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      const typed = args as DiscoveryClientEvents[K];
      if (!pred(...typed)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(typed);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no ${String(event)} in ${ms} ms`));
    }, ms);
    emitter.on(event, listener);
  });
}

function latch(): { promise: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

type Change = { kind: 'added' | 'removed' } & BrewerEventArgs;

/** Every brewerAdded / brewerRemoved, in order; `reach(n)` resolves once `n` are recorded. */
function recordChanges(client: DiscoveryClient): { list: Change[]; reach(n: number, ms?: number): Promise<void> } {
  const list: Change[] = [];
  const waiters = new Set<() => void>();
  const push = (change: Change): void => {
    list.push(change);
    for (const waiter of waiters) waiter();
  };
  client.on('brewerAdded', (e) => push({ kind: 'added', ...e }));
  client.on('brewerRemoved', (e) => push({ kind: 'removed', ...e }));
  const reach = (n: number, ms = 5000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (list.length < n) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`only ${list.length} of ${n} brewer changes in ${ms} ms: ${JSON.stringify(list)}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { list, reach };
}

const byTopic = <T extends { topic: string }>(items: readonly T[]): T[] => [...items].sort((a, b) => a.topic.localeCompare(b.topic));

/**
 * A second server on a fixed port (the restart), with the keys of the first so its tokens stay
 * good; drained when the test ends. `prepare` runs before it accepts anything.
 */
async function restartOn(port: number, prepare: (server: PubkeeperServer) => void = () => undefined): Promise<PubkeeperServer> {
  const keys = tempKeys();
  const config = loadConfig({ flags: { host: '127.0.0.1', port, keys: keys.dir } });
  const server = new PubkeeperServer({ config, logger: silentLogger, keyring: { keys: keys.keys.verification } });
  prepare(server);
  await server.listen();
  onTestFinished(() => server.drain());
  return server;
}

/** A plain SDK client on any URL, authenticated, closed when the test ends. */
async function plainClient(url: string, token: string): Promise<PubkeeperClient> {
  const client = await PubkeeperClient.connect(url);
  onTestFinished(() => client.socket.terminate());
  if (!(await client.authenticate(token))) throw new Error('plain client did not authenticate');
  return client;
}

interface TransportCase {
  name: string;
  url: (t: TestServer) => string;
  transport: () => DiscoveryTransport;
}

const TRANSPORTS: TransportCase[] = [
  { name: '/ws JSON', url: (t) => t.url, transport: () => pubkeeperTransport() },
  { name: 'PCP v2', url: (t) => t.base, transport: () => pcpTransport({ type: 'discovery' }) },
];

const FAST = { baseMs: 20, capMs: 200 };

describe.each(TRANSPORTS)('DiscoveryClient over $name', ({ url, transport }) => {
  it('converges after a restart on the same port: vanished → removed, new and changed → added, unchanged → nothing', async () => {
    const t = await startTestServer();
    // The subscriber's token provider waits at this gate, so after the restart it comes back only
    // once brewer A and the plain client have: its snapshot is then deterministic.
    let gate = Promise.resolve();
    const subscriber = discovery({
      url: url(t),
      token: async () => {
        await gate;
        return t.keys.mint('watcher', ['subscribe:svc.**']);
      },
      transport: transport(),
      backoff: FAST,
    });
    const changes = recordChanges(subscriber);
    // Subscribed before any brewer's session exists, so the drain below closes the subscriber's
    // session first: the server announces BREWER_REMOVED for every brewer whose session it closes
    // while draining, to subscribers still open, which would show up here as removed+added flaps.
    await subscriber.subscribe('svc.**');

    const a1 = { uuid: 'a1', hostname: 'h', port: 1 };
    const brewerA = discovery({ url: url(t), token: t.keys.mint('brewer-a', ['brew:svc.*']), transport: transport(), backoff: FAST });
    await brewerA.registerBrewer('svc.a', a1);
    const plain = await plainClient(t.url, t.keys.mint('plain', ['brew:svc.*']));
    const gone = { uuid: 'p', port: 1 };
    const same = { uuid: 'u', port: 1, tags: { x: 1, y: 2 } };
    const changed = { uuid: 'c', port: 1 };
    await plain.registerBrewer('svc.gone', gone);
    await plain.registerBrewer('svc.same', same);
    await plain.registerBrewer('svc.changed', changed);
    await changes.reach(4);
    await Promise.all([brewerA.connect(), subscriber.connect()]); // every first `connected` is behind us
    expect(byTopic(changes.list)).toEqual([
      { kind: 'added', topic: 'svc.a', brewer: a1 },
      { kind: 'added', topic: 'svc.changed', brewer: changed },
      { kind: 'added', topic: 'svc.gone', brewer: gone },
      { kind: 'added', topic: 'svc.same', brewer: same },
    ]);
    changes.list.length = 0;

    const door = latch();
    gate = door.promise;
    const subscriberDown = next(subscriber, 'disconnected');
    const brewerAReconnecting = next(brewerA, 'reconnecting');
    const brewerABack = next(brewerA, 'connected');
    await t.server.drain();
    expect((await subscriberDown)[0].code).toBe(1001);
    expect((await brewerAReconnecting)[0].delayMs).toBeLessThan(FAST.baseMs);
    const server2 = await restartOn(t.port);
    await brewerABack; // brewer A replayed its registration on the new server
    expect(server2.hub.discovery.registry.get('svc.a', 'a1')?.brewer).toEqual(a1);

    const plain2 = await plainClient(t.url, t.keys.mint('plain', ['brew:svc.*']));
    const changed2 = { uuid: 'c', port: 2 };
    const fresh = { uuid: 'n', port: 3 };
    await plain2.registerBrewer('svc.same', { tags: { y: 2, x: 1 }, port: 1, uuid: 'u' }); // equal, key order aside
    await plain2.registerBrewer('svc.changed', changed2);
    await plain2.registerBrewer('svc.new', fresh);

    const subscriberBack = next(subscriber, 'connected');
    door.release();
    await subscriberBack;
    expect(byTopic(changes.list)).toEqual([
      { kind: 'added', topic: 'svc.changed', brewer: changed2 },
      { kind: 'removed', topic: 'svc.gone', brewer: gone },
      { kind: 'added', topic: 'svc.new', brewer: fresh },
    ]);

    // Live again: a registration on the new server reaches the replayed subscription.
    const a2 = { uuid: 'a2' };
    await brewerA.registerBrewer('svc.a2', a2);
    await changes.reach(4);
    expect(changes.list.slice(3)).toEqual([{ kind: 'added', topic: 'svc.a2', brewer: a2 }]);
    expect(byTopic(subscriber.brewers())).toEqual([
      { topic: 'svc.a', brewer: a1 },
      { topic: 'svc.a2', brewer: a2 },
      { topic: 'svc.changed', brewer: changed2 },
      { topic: 'svc.new', brewer: fresh },
      { topic: 'svc.same', brewer: same },
    ]);
  });
});

describe('DiscoveryClient', () => {
  it('200 clients reconnecting after a restart are spread over the backoff window, not one burst', async () => {
    const t = await startTestServer();
    const count = 200;
    const baseMs = 400;
    const token = t.keys.mint('herd', ['brew:herd.*']);
    const clients = Array.from({ length: count }, (_, i) =>
      discovery({ url: t.url, token, backoff: { baseMs, capMs: 4 * baseMs }, random: seededRandom(1000 + i) }),
    );
    await Promise.all(clients.map((c, i) => c.registerBrewer(`herd.${i}`, { uuid: `h${i}` })));
    await Promise.all(clients.map((c) => c.connect())); // every first `connected` is behind us
    const allBack = Promise.all(clients.map((c) => next(c, 'connected', () => true, 10_000)));

    // Server-side arrival times: the new server's hub records each session it creates.
    const arrivals: number[] = [];
    const start = performance.now();
    await t.server.drain();
    const server2 = await restartOn(t.port, (server) => {
      const hub: Hub = server.hub;
      const create = hub.createSession.bind(hub);
      hub.createSession = (...args: Parameters<Hub['createSession']>) => {
        arrivals.push(performance.now() - start);
        return create(...args);
      };
    });
    await allBack;
    expect(server2.hub.discovery.registry.size).toBe(count);
    expect(arrivals).toHaveLength(count);

    // Full jitter puts the first retries uniformly over [0, 400 ms) (those that hit the restart
    // gap retry over [0, 800 ms)). An unjittered client would arrive as one spike.
    const sorted = [...arrivals].sort((a, b) => a - b);
    const span = sorted[count - 1]! - sorted[0]!;
    expect(span).toBeGreaterThan(baseMs / 2);
    const slice = baseMs / 20;
    let busiest = 0;
    for (let i = 0, j = 0; i < count; i++) {
      while (sorted[i]! - sorted[j]! > slice) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    // About 10 land in a 20 ms slice on average; a burst would put most of the 200 in one.
    expect(busiest).toBeLessThanOrEqual(0.15 * count);
  });

  it('refreshes a short-lived token on the live session before exp, so it is never closed 4003 (both transports)', async () => {
    const t = await startTestServer();
    const rights = ['brew:r.*'];
    const short = t.keys.mint('refresher', rights, { ttlSeconds: 2 });
    const exp = readTokenTimes(short).exp!;
    const refreshedAt: number[] = [];
    const refreshed = [latch(), latch()];
    const clients = TRANSPORTS.map(({ url, transport }, i) => {
      const client = discovery({
        url: url(t),
        transport: transport(),
        backoff: FAST,
        token: ({ reason }) => {
          if (reason === 'connect') return short;
          refreshedAt.push(Date.now());
          refreshed[i]!.release();
          return t.keys.mint('refresher', rights, { ttlSeconds: 60 });
        },
      });
      return { client, drops: recordDrops(client) };
    });
    await Promise.all(clients.map(({ client }) => client.connect()));
    // A witness holding the short token is closed 4003 when it expires: that close is our clock.
    const witness = await t.connect();
    await witness.authenticate(short);

    await Promise.all(refreshed.map((r) => r.promise));
    for (const at of refreshedAt) expect(at).toBeLessThan(exp * 1000);
    expect((await closed(witness, 5000)).code).toBe(4003);
    // Past the original exp, the same sessions still answer.
    await Promise.all(clients.map(({ client }, i) => client.registerBrewer(`r.after${i}`, { uuid: `after${i}` })));
    expect(t.server.hub.discovery.registry.get('r.after0', 'after0')).toBeDefined();
    expect(t.server.hub.discovery.registry.get('r.after1', 'after1')).toBeDefined();
    for (const { drops } of clients) expect(drops).toEqual([]);
  });

  it('after a 4003 close asks the token provider for a new token before reconnecting', async () => {
    const t = await startTestServer();
    const short = t.keys.mint('expiring', ['subscribe:x.*'], { ttlSeconds: 2 });
    const order: string[] = [];
    const client = discovery({
      url: t.url,
      backoff: FAST,
      // A caching provider: it hands back the cached token until told it was rejected.
      token: ({ reason }: { reason: TokenReason }) => {
        order.push(`token ${reason}`);
        return reason === 'rejected' ? t.keys.mint('expiring', ['subscribe:x.*'], { ttlSeconds: 3600 }) : short;
      },
    });
    client.on('connected', () => order.push('connected'));
    client.on('disconnected', ({ code }) => order.push(`disconnected ${code}`));
    const subscribed = client.subscribe('x.*');
    await client.connect();
    await subscribed;
    await next(client, 'connected', () => true, 5000);
    expect(order).toEqual(['token connect', 'connected', 'token refresh', 'disconnected 4003', 'token rejected', 'connected']);
  });

  it('close() unregisters its brewers before the session ends, closes 1000 and stops reconnecting', async () => {
    const t = await startTestServer();
    const watcher = await t.client('watcher', ['subscribe:**']);
    await watcher.subscribe('c.*');
    const frames = recordFrames(watcher);
    const client = discovery({ url: t.url, token: t.keys.mint('closer', ['brew:c.*']), backoff: FAST, random: () => 0 });
    await client.registerBrewer('c.one', { uuid: 'one' });
    await client.registerBrewer('c.two', { uuid: 'two' });
    const reconnecting: unknown[] = [];
    client.on('reconnecting', (e) => reconnecting.push(e));

    // What the server still holds at the moment the session ends tells who removed the brewers.
    const ended = new Promise<{ code: number; left: number }>((resolve) => {
      t.server.hub.onSessionEnd((session, code) => {
        if (session.sub !== 'closer') return;
        const registry = t.server.hub.discovery.registry;
        resolve({ code, left: [registry.get('c.one', 'one'), registry.get('c.two', 'two')].filter(Boolean).length });
      });
    });
    await client.close();
    expect(await ended).toEqual({ code: 1000, left: 0 });
    await watcher.sync();
    const removed = frames.filter(([packet]) => packet === Packet.BREWER_REMOVED).map(([, p]) => p);
    expect(removed).toEqual([
      { topic: 'c.one', brewer: { uuid: 'one' } },
      { topic: 'c.two', brewer: { uuid: 'two' } },
    ]);
    // With zero jitter a retry would already be under way; none was even scheduled.
    expect(reconnecting).toEqual([]);
    expect([...t.server.hub.sessions].filter((s) => s.sub === 'closer')).toEqual([]);
    expect(client.connected).toBe(false);
  });

  it('the examples run: the subscriber prints the brewer coming and, after SIGTERM to the brewer, going', async () => {
    const t = await startTestServer();
    const subscriber = runExample('subscriber.js', {
      PUBKEEPER_URL: t.url,
      PUBKEEPER_TOKEN: t.keys.mint('dashboard', ['subscribe:example.**']),
      PUBKEEPER_PATTERN: 'example.**',
    });
    const brewer = runExample('brewer.js', {
      PUBKEEPER_URL: t.url,
      PUBKEEPER_TOKEN: t.keys.mint('thermometer', ['brew:example.*']),
      PUBKEEPER_TOPIC: 'example.temperature',
      BREWER_UUID: 'example-1',
      BREWER_HOST: '10.0.0.7',
      BREWER_PORT: '9899',
    });
    const brewerObject = { uuid: 'example-1', hostname: '10.0.0.7', port: 9899, protocol: 'udp' };
    expect(await subscriber.line((l) => l.event === 'added')).toEqual({ event: 'added', topic: 'example.temperature', brewer: brewerObject });
    await brewer.line((l) => l.event === 'registered');
    brewer.child.kill('SIGTERM');
    expect(await subscriber.line((l) => l.event === 'removed')).toEqual({ event: 'removed', topic: 'example.temperature', brewer: brewerObject });
    expect(await brewer.exit).toEqual({ code: 0, signal: null });
    expect(brewer.lines.map((l) => l.event)).toEqual(['registered', 'closed']);
    subscriber.child.kill('SIGTERM');
    expect(await subscriber.exit).toEqual({ code: 0, signal: null });
    expect(subscriber.lines.map((l) => l.event)).toEqual(['added', 'removed']);
  });
});

/** Every `disconnected` a client reports. */
function recordDrops(client: DiscoveryClient): number[] {
  const drops: number[] = [];
  client.on('disconnected', ({ code }) => drops.push(code));
  return drops;
}

interface Example {
  child: ReturnType<typeof spawn>;
  /** Every JSON line printed on stdout so far. */
  lines: Record<string, unknown>[];
  /** The first line (seen or still to come) matching `pred`. */
  line(pred: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a compiled example (dist/examples, built by the suite's global setup), killed when the test ends. */
function runExample(file: string, env: Record<string, string>): Example {
  const child = spawn(process.execPath, [`${ROOT}dist/examples/${file}`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push(JSON.parse(text) as Record<string, unknown>);
    for (const waiter of waiters) waiter();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    exit,
    line: (pred, ms = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find(pred);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${file}: no matching line in ${ms} ms; stdout ${JSON.stringify(lines)}; stderr ${stderr}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}
