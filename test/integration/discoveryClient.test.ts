// DiscoveryClient against real servers that restart: the view converges after a restart, and a
// crowd of clients comes back spread over the backoff window.
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/client/backoff.js';
import type { Hub } from '../../src/core/hub.js';
import { byTopic, discovery, FAST, latch, next, plainClient, recordChanges, restartOn, TRANSPORTS } from '../helpers/discovery.js';
import { startTestServer } from '../helpers/server.js';

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
    expect(server2.hub.registry.get('svc.a', 'a1')?.brewer).toEqual(a1);

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
    expect(server2.hub.registry.size).toBe(count);
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
});
