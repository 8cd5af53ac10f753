import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { RELAY_SUBPROTOCOL } from '../../src/protocol/relay/codec.js';
import { run } from '../helpers/admin.js';
import { connect, eventually, openSocket, type RelayClient } from '../helpers/relay.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The relay of a whole server: tokens checked by the server's keys, topics known from its registry
// (protocol/relay.md RELAY-12 to RELAY-14). The anonymous relay is relay.test.ts.

async function serverWithRelay(config: Record<string, string | number> = {}): Promise<{ t: TestServer; port: number }> {
  const t = await startTestServer({ config: { relayPort: 0, ...config } });
  const relay = t.server.relay;
  if (!relay) throw new Error('the relay did not start');
  return { t, port: relay.address().port };
}

/** The status and body of a refused upgrade. */
function refusal(port: number, path: string, options: WebSocket.ClientOptions = {}, protocols = [RELAY_SUBPROTOCOL]): Promise<{ status: number; body: string }> {
  const ws = openSocket(port, protocols, path, options);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        ws.terminate();
      });
    });
    ws.once('open', () => reject(new Error('upgrade accepted')));
  });
}

const bearer = (token: string): WebSocket.ClientOptions => ({ headers: { authorization: `Bearer ${token}` } });

/** Publishes `value` on `topic` as its last value, then joins it from `client`: the value arriving is the barrier. */
async function joinedAfter(client: RelayClient, topic: string, publisher: RelayClient, value: string): Promise<void> {
  const payload = publisher.publish(topic, value);
  client.join(topic);
  expect(await client.next()).toEqual(payload);
}

describe('relay: tokens and rights', () => {
  it('RELAY-12 without a token the upgrade is 401 with the reason, after the path and the subprotocol', async () => {
    const { t, port } = await serverWithRelay();
    expect(await refusal(port, '/')).toEqual({ status: 401, body: 'missing token\n' });
    expect((await refusal(port, '/elsewhere')).status).toBe(404);
    expect((await refusal(port, '/', {}, ['nothing-we-speak'])).status).toBe(400);
    const expired = t.keys.mint('alice', ['all'], { ttlSeconds: 60, nowSeconds: Math.floor(Date.now() / 1000) - 3600 });
    expect(await refusal(port, '/', bearer(expired))).toEqual({ status: 401, body: 'token expired\n' });
    expect(await refusal(port, `/?token=${encodeURIComponent(expired)}`)).toEqual({ status: 401, body: 'token expired\n' });
    expect((await refusal(port, '/', bearer('not-a-jwt'))).status).toBe(401);
    // A header wins over the query, as on the PCP endpoint.
    expect((await refusal(port, `/?token=${t.keys.mint('alice')}`, bearer('not-a-jwt'))).status).toBe(401);
    // Accepted either way.
    await connect(port, bearer(t.keys.mint('alice')));
    const viaQuery = new WebSocket(`ws://127.0.0.1:${port}/?token=${encodeURIComponent(t.keys.mint('alice'))}`, [RELAY_SUBPROTOCOL]);
    await new Promise((resolve, reject) => {
      viaQuery.once('open', resolve);
      viaQuery.once('error', reject);
    });
    viaQuery.terminate();
  });

  it('RELAY-12 a revoked token is refused', async () => {
    const { t, port } = await serverWithRelay();
    const token = t.keys.mint('mallory', ['all'], { jti: 'stolen' });
    await connect(port, bearer(token));
    expect(await run(t, 'revoke token', { jti: 'stolen' })).toMatchObject({ status: 'done' });
    expect(await refusal(port, '/', bearer(token))).toEqual({ status: 401, body: expect.stringMatching(/revoked/) });
  });

  it('RELAY-12 --relay-allow-anonymous opens the relay to anybody, as the original servers did', async () => {
    const { port } = await serverWithRelay({ relayAllowAnonymous: 'true' });
    const a = await connect(port);
    const b = await connect(port);
    await joinedAfter(b, 'never.registered', a, 'v0');
  });

  it('RELAY-13 JOIN needs a subscribe right and PUBLISH a brew right on a registered topic; refusals are dropped, others carry on', async () => {
    const { t, port } = await serverWithRelay();
    const discovery = await t.client('brewer', ['brew:**']);
    await discovery.registerBrewer('a.b', { uuid: 'ab' });
    await discovery.registerBrewer('x.y', { uuid: 'xy' });
    const brewer = await connect(port, bearer(t.keys.mint('brewer', ['brew:**'])));
    const patron = await connect(port, bearer(t.keys.mint('patron', ['subscribe:a.*'])));
    // The refused JOINs come first; the allowed one's last value proves they were all read.
    patron.join('x.y'); // no right
    patron.join('never.registered'); // no brewer: not a topic the server knows
    await joinedAfter(patron, 'a.b', brewer, 'v0');
    const xy = brewer.publish('x.y', 'not for the patron');
    const v1 = brewer.publish('a.b', 'v1');
    expect(await patron.next()).toEqual(v1);
    expect(patron.received).not.toContainEqual(xy);

    // A PUBLISH without the brew right is neither forwarded nor kept as the last value.
    const forger = await connect(port, bearer(t.keys.mint('forger', ['subscribe:**'])));
    forger.publish('a.b', 'forged');
    const v2 = brewer.publish('a.b', 'v2');
    expect(await patron.next()).toEqual(v2);
    const late = await connect(port, bearer(t.keys.mint('late', ['subscribe:a.*'])));
    late.join('a.b');
    expect(await late.next()).toEqual(v2);
    expect(forger.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('RELAY-13 refused frames count like undecodable ones: past maxErrorsPer10s the connection closes 1008', async () => {
    const { t, port } = await serverWithRelay({ maxErrorsPer10s: 5 });
    const discovery = await t.client('brewer', ['brew:**']);
    await discovery.registerBrewer('still.works', { uuid: 'sw' });
    const bystander = await connect(port, bearer(t.keys.mint('bystander', ['all'])));
    const other = await connect(port, bearer(t.keys.mint('other', ['all'])));
    const prober = await connect(port, bearer(t.keys.mint('prober', ['subscribe:**'])));
    for (let i = 0; i < 6; i++) prober.join(`guess.${i}`);
    expect(await prober.closed).toEqual({ code: 1008, reason: 'Too many errors.' });
    await joinedAfter(bystander, 'still.works', other, 'ok');
  });

  it('RELAY-14 a connection holding no topic and sending nothing is closed 1000 "Idle."; one holding a topic stays', async () => {
    const { t, port } = await serverWithRelay({ relayIdleTimeoutMs: 200 });
    const discovery = await t.client('brewer', ['brew:**']);
    await discovery.registerBrewer('a.b', { uuid: 'ab' });
    const holder = await connect(port, bearer(t.keys.mint('holder', ['all'])));
    const publisher = await connect(port, bearer(t.keys.mint('publisher', ['all'])));
    await joinedAfter(holder, 'a.b', publisher, 'v0');
    const idle = await connect(port, bearer(t.keys.mint('idle', ['all'])));
    expect(await idle.closed).toEqual({ code: 1000, reason: 'Idle.' });
    expect(await publisher.closed).toEqual({ code: 1000, reason: 'Idle.' });
    // The holder outlived two idle connections and still gets what is published.
    const again = await connect(port, bearer(t.keys.mint('again', ['all'])));
    const v1 = again.publish('a.b', 'v1');
    expect(await holder.next()).toEqual(v1);
    await eventually(() => t.server.relay?.stats().connections === 2);
  });
});
