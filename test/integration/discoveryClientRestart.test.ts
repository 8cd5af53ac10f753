// DiscoveryClient reconciliation after a server restart: a watcher that is back before the other
// clients have replayed their brewers must not report them removed and added again; it waits out
// `reconcileSettleMs`, and only a brewer whose client never came back is reported removed.
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { DiscoveryTransport } from '../../src/client/transports.js';
import { byTopic, discovery, FAST, latch, next, plainClient, recordChanges, restartOn, TRANSPORTS } from '../helpers/discovery.js';
import { startTestServer } from '../helpers/server.js';

/** `inner`, calling `subscribed` each time a session's subscribe was acknowledged (its snapshot is complete). */
function reportingSubscribes(inner: DiscoveryTransport, subscribed: () => void): DiscoveryTransport {
  return {
    name: inner.name,
    async connect(url, token, handlers) {
      const session = await inner.connect(url, token, handlers);
      return {
        url: session.url,
        get closed() {
          return session.closed;
        },
        registerBrewer: (topic, brewer) => session.registerBrewer(topic, brewer),
        unregisterBrewer: (topic, uuid) => session.unregisterBrewer(topic, uuid),
        subscribe: async (pattern) => {
          await session.subscribe(pattern);
          subscribed();
        },
        unsubscribe: (pattern) => session.unsubscribe(pattern),
        refreshToken: (fresh) => session.refreshToken(fresh),
        close: (code) => session.close(code),
      };
    },
  };
}

const SETTLE_MS = 1000;
const BREWERS = 4;

describe.each(TRANSPORTS)('DiscoveryClient over $name: reconciliation after a restart', ({ url, transport }) => {
  it('brewers replayed by their clients within the settle window never flap; one whose client did not come back is removed after it', async () => {
    const t = await startTestServer();
    let subscribes = 0;
    const resubscribed = latch();
    const watcher = discovery({
      url: url(t),
      token: t.keys.mint('watcher', ['subscribe:**']),
      transport: reportingSubscribes(transport(), () => {
        if (++subscribes === 2) resubscribed.release();
      }),
      backoff: FAST,
      reconcileSettleMs: SETTLE_MS,
    });
    const changes = recordChanges(watcher);
    await watcher.subscribe('**');
    await watcher.connect();

    // After the restart every brewer's client waits at this gate, opened once the watcher has
    // subscribed again on an empty server: the worst case, its snapshot lacks them all.
    let gate = Promise.resolve();
    const brewers = Array.from({ length: BREWERS }, (_, i) =>
      discovery({
        url: url(t),
        token: async () => {
          await gate;
          return t.keys.mint(`brewer-${i}`, ['brew:svc.*']);
        },
        transport: transport(),
        backoff: FAST,
      }),
    );
    const objects = brewers.map((_, i) => ({ topic: `svc.b${i}`, brewer: { uuid: `b${i}`, hostname: `10.0.0.${i}`, port: 9899 } }));
    await Promise.all(brewers.map((client, i) => client.registerBrewer(objects[i]!.topic, objects[i]!.brewer)));
    await Promise.all(brewers.map((client) => client.connect())); // every first `connected` is behind us
    const plain = await plainClient(t.url, t.keys.mint('plain', ['brew:svc.*']));
    const gone = { uuid: 'gone', port: 1 };
    await plain.registerBrewer('svc.gone', gone);
    await changes.reach(BREWERS + 1);
    changes.list.length = 0;

    const door = latch();
    gate = door.promise;
    const brewersBack = Promise.all(brewers.map((client) => next(client, 'connected', () => true, 10_000)));
    const removal = next(watcher, 'brewerRemoved', () => true, 10_000);
    const watcherBack = next(watcher, 'connected', () => true, 10_000);
    await t.server.drain();
    await restartOn(t.port);
    await resubscribed.promise;
    const windowOpened = performance.now();
    expect(changes.list).toEqual([]); // nothing reported on the empty snapshot
    door.release();
    await brewersBack; // each brewer replayed on the new server, and the watcher is notified live

    expect((await removal)[0]).toEqual({ topic: 'svc.gone', brewer: gone });
    expect(performance.now() - windowOpened).toBeGreaterThanOrEqual(SETTLE_MS - 5);
    await watcherBack; // `connected` follows the window: the view is reconciled
    expect(changes.list).toEqual([{ kind: 'removed', topic: 'svc.gone', brewer: gone }]);
    expect(byTopic(watcher.brewers())).toEqual(objects);

    // Live again: a brewer leaving now is reported at once.
    const left = next(watcher, 'brewerRemoved');
    await brewers[0]!.close();
    expect((await left)[0]).toEqual(objects[0]);
  });
});
