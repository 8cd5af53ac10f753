// DiscoveryClient token lifecycle against a real server: refreshed on the live session before
// `exp`, and asked for anew after a 4003 close.
import { describe, expect, it } from 'vitest';
import type { DiscoveryClient } from '../../src/client/discoveryClient.js';
import { readTokenTimes, type TokenReason } from '../../src/client/tokenRefresh.js';
import { discovery, FAST, latch, next, TRANSPORTS } from '../helpers/discovery.js';
import { closed } from '../helpers/frames.js';
import { startTestServer } from '../helpers/server.js';

describe('DiscoveryClient', () => {
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
    expect(t.server.hub.registry.get('r.after0', 'after0')).toBeDefined();
    expect(t.server.hub.registry.get('r.after1', 'after1')).toBeDefined();
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
});

/** Every `disconnected` a client reports. */
function recordDrops(client: DiscoveryClient): number[] {
  const drops: number[] = [];
  client.on('disconnected', ({ code }) => drops.push(code));
  return drops;
}
