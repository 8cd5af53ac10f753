import { get as httpGet } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { BrewerEventArgs } from '../../../src/client/pubkeeperClient.js';
import { PubkeeperClient } from '../../../src/client/pubkeeperClient.js';
import { RELAY_SUBPROTOCOL } from '../../../src/protocol/relay/codec.js';
import { nextEvent } from '../../helpers/nextEvent.js';
import { RelayClient } from '../../helpers/relay.js';
import { httpsRequest, startTlsServer } from '../../helpers/tlsServer.js';

// CONTRACT §2 TLS: with --tls-cert and --tls-key every surface of §1 is served over https/wss on
// the one port, and nothing in plain text; the relay too (protocol/tls.md).

describe('TLS: every surface over https and wss', () => {
  it('TLS-1 /healthz, /metrics and the admin API answer over https', async () => {
    const t = await startTlsServer();
    expect(await httpsRequest(t.port, '/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' });
    const metrics = await httpsRequest(t.port, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('pubkeeper_');
    const sessions = await httpsRequest(t.port, '/admin/sessions', { headers: { authorization: `Bearer ${t.keys.mint('root', ['admin:*'])}` } });
    expect(sessions.status).toBe(200);
    expect(JSON.parse(sessions.body)).toHaveProperty('sessions');
    expect((await httpsRequest(t.port, '/dashboard')).status).toBe(200);
  });

  it('TLS-1 a certificate the client does not trust fails the handshake (the server is not reached in clear)', async () => {
    const t = await startTlsServer();
    await expect(httpsRequest(t.port, '/healthz', { ca: t.certs.stranger.cert })).rejects.toThrow();
  });

  it('TLS-2 plain HTTP to the TLS port gets no HTTP answer, and the server keeps serving', async () => {
    const t = await startTlsServer();
    const plain = await new Promise<string>((resolve) => {
      const req = httpGet({ host: '127.0.0.1', port: t.port, path: '/healthz', agent: false }, (res) => resolve(`answered ${res.statusCode}`));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(plain).not.toMatch(/^answered/);
    // The bytes that come back (a TLS alert at most) hold no HTTP, and the connection is closed.
    const raw = tcpConnect({ host: '127.0.0.1', port: t.port });
    onTestFinished(() => void raw.destroy());
    raw.on('error', () => undefined);
    let received = '';
    raw.on('data', (d: Buffer) => (received += d.toString('latin1')));
    raw.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => raw.once('close', resolve));
    expect(received).not.toContain('HTTP/');
    // ws:// to the TLS port: no upgrade.
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}/ws`);
    await expect(new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    })).rejects.toThrow();
    expect((await httpsRequest(t.port, '/healthz')).status).toBe(200);
  });

  it('TLS-1 /ws over wss: a brewer registered by one client reaches a subscriber (the SDK with a private CA)', async () => {
    const t = await startTlsServer();
    const subscriber = await t.wsClient('sub', ['subscribe:a.*']);
    const brewer = await t.wsClient('brewer', ['brew:a.*']);
    await subscriber.subscribe('a.*');
    const notified = nextEvent<BrewerEventArgs>(subscriber, 'notify', (e) => e.topic === 'a.b', 5000, 'notify');
    await brewer.registerBrewer('a.b', { uuid: 'u-1' });
    expect(await notified).toMatchObject({ topic: 'a.b', brewer: { uuid: 'u-1' } });
    // Without the CA the SDK refuses the server's certificate.
    await expect(PubkeeperClient.connect(`${t.wss}/ws`)).rejects.toThrow(/certificate/);
  });

  it('TLS-1 PCP over wss with a token, as without TLS', async () => {
    const t = await startTlsServer();
    const a = await t.pcpTls({ token: t.keys.mint('a', ['all']) });
    const b = await t.pcpTls({ token: t.keys.mint('b', ['all']) });
    expect(a.uri).toBe('pcp://a/agent');
    expect(await a.associate()).toBe(true);
    const got = new Promise<string>((resolve) => b.on('message', (m) => m.message_type === 'demo/hi' && resolve(m.sender ?? '')));
    a.send(b.uri, 'demo/hi', { n: 1 });
    expect(await got).toBe('pcp://a/agent');
  });

  it('TLS-3 the relay is served over wss with the same certificate', async () => {
    const t = await startTlsServer({ config: { relayPort: 0 } });
    const port = t.server.relay?.address().port;
    const open = async (): Promise<RelayClient> => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}/`, [RELAY_SUBPROTOCOL], {
        ca: t.certs.ca.cert,
        headers: { authorization: `Bearer ${t.keys.mint('relay-user', ['all'])}` },
      });
      onTestFinished(() => ws.terminate());
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      return new RelayClient(ws);
    };
    // The relay serves topics the server knows: a brewer of a.b, registered over wss.
    await (await t.wsClient('brewer', ['brew:**'])).registerBrewer('a.b', { uuid: 'ab' });
    const publisher = await open();
    const joiner = await open();
    const payload = publisher.publish('a.b', 'hello');
    joiner.join('a.b');
    expect(await joiner.next()).toEqual(payload);
    // Plain ws to the relay's port: no upgrade.
    const plain = new WebSocket(`ws://127.0.0.1:${port}/`, [RELAY_SUBPROTOCOL]);
    onTestFinished(() => plain.terminate());
    await expect(new Promise((resolve, reject) => {
      plain.once('open', resolve);
      plain.once('error', reject);
    })).rejects.toThrow();
  });
});
