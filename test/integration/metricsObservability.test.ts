// The metrics worth graphing (issue 13): fan-out latency and authentication time as histograms,
// refused upgrades and authentications by reason, build info. Each moves with the action it
// counts, on a real server over real sockets.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { closed, nextFrame } from '../helpers/frames.js';
import { openSocket } from '../helpers/relay.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { baseClaims, now, signedWith } from '../helpers/tokens.js';

/** A sample of a scrape by name and exact label set; 0 when absent (a counter not yet counted). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  for (const [, sampleName, labelText = '', value] of text.matchAll(/^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/gm)) {
    if (sampleName !== name) continue;
    const found = [...labelText.matchAll(/([a-z_]+)="([^"]*)"/g)].map(([, k, v]) => [k, v]);
    if (JSON.stringify(found.sort()) === wanted) return Number(value);
  }
  return 0;
}

const scrape = (t: TestServer): Promise<string> => t.server.metrics.render();

/** The status of an upgrade the server answers with HTTP instead. */
async function refusedStatus(url: string, headers: Record<string, string> = {}, protocols: string[] = []): Promise<number> {
  const ws = new WebSocket(url, protocols, { headers });
  ws.on('error', () => undefined);
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode?: number }];
  ws.terminate();
  return res.statusCode ?? 0;
}

/** Sends `request` on a fresh TCP connection and resolves with all the server answers before it closes. */
function rawAnswer(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(request));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

describe('metrics of issue 13', () => {
  it('pubkeeper_fanout_duration_seconds: one observation per brewer event, whatever the number of subscribers', async () => {
    const t = await startTestServer();
    const subscribers = [await t.client('s1'), await t.client('s2'), await t.client('s3')];
    for (const s of subscribers) await s.subscribe('fan.*');
    const brewer = await t.client('brewer');
    const before = await scrape(t);
    const notified = subscribers.map((s) => nextFrame(s, ([id]) => id === Packet.BREWER_NOTIFY));
    await brewer.registerBrewer('fan.out', { uuid: 'b1' });
    await Promise.all(notified);
    const removed = subscribers.map((s) => nextFrame(s, ([id]) => id === Packet.BREWER_REMOVED));
    await brewer.unregisterBrewer('fan.out', 'b1');
    await Promise.all(removed);
    const after = await scrape(t);
    const count = 'pubkeeper_fanout_duration_seconds_count';
    expect(sample(after, count) - sample(before, count)).toBe(2);
    expect(sample(after, 'pubkeeper_fanout_duration_seconds_sum')).toBeGreaterThan(0);
    // Every observation falls in some bucket up to +Inf, and the 2.5 s bucket holds them all here.
    expect(sample(after, 'pubkeeper_fanout_duration_seconds_bucket', { le: '+Inf' })).toBe(sample(after, count));
    expect(sample(after, 'pubkeeper_fanout_duration_seconds_bucket', { le: '2.5' })).toBe(sample(after, count));
  });

  it('pubkeeper_auth_duration_seconds: one observation per token checked, by surface (ws, pcp)', async () => {
    const t = await startTestServer();
    const before = await scrape(t);
    await t.client('alice');
    await t.pcp('agent');
    const after = await scrape(t);
    for (const surface of ['ws', 'pcp']) {
      const count = sample(after, 'pubkeeper_auth_duration_seconds_count', { surface });
      expect(count - sample(before, 'pubkeeper_auth_duration_seconds_count', { surface }), surface).toBe(1);
      expect(sample(after, 'pubkeeper_auth_duration_seconds_sum', { surface }), surface).toBeGreaterThan(0);
    }
  });

  it('a refused PCP upgrade is counted by reason in pubkeeper_upgrades_refused_total, and a token refusal in pubkeeper_auth_refused_total', async () => {
    const t = await startTestServer();
    const pcp = `${t.base}/pcp/v2.0`;
    const good = t.keys.mint('agent');
    const forged = `${good.slice(0, -8)}AAAAAAAA`;
    const expired = signedWith(t.keys.dir, baseClaims({ sub: 'late', exp: now() - 5 }));
    expect(await refusedStatus(`${pcp}/agent`)).toBe(401);
    expect(await refusedStatus(`${pcp}/agent`, { authorization: `Bearer ${forged}` })).toBe(401);
    expect(await refusedStatus(`${pcp}/agent`, { authorization: `Bearer ${expired}` })).toBe(401);
    expect(await refusedStatus(`${pcp}/server`, { authorization: `Bearer ${good}` })).toBe(403);
    expect(await refusedStatus(`${pcp}/bad%20type`, { authorization: `Bearer ${good}` })).toBe(400);
    expect(await refusedStatus(`${t.base}/nowhere`)).toBe(404);
    const text = await scrape(t);
    const upgrades = (reason: string): number => sample(text, 'pubkeeper_upgrades_refused_total', { listener: 'main', reason });
    expect(upgrades('unauthorized')).toBe(3);
    expect(upgrades('forbidden')).toBe(1);
    expect(upgrades('bad_type')).toBe(1);
    expect(upgrades('not_found')).toBe(1);
    const auth = (reason: string): number => sample(text, 'pubkeeper_auth_refused_total', { surface: 'pcp', reason });
    expect([auth('missing'), auth('bad_signature'), auth('expired'), auth('forbidden')]).toEqual([1, 1, 1, 1]);
    // The 400 and the 404 are not about a token.
    expect(sample(text, 'pubkeeper_auth_refused_total', { surface: 'pcp', reason: 'other' })).toBe(0);
  });

  it('a handshake ws itself refuses (no Sec-WebSocket-Key, a bad version, not GET) is counted as bad_handshake, and answered 400/405', async () => {
    const t = await startTestServer();
    const token = t.keys.mint('agent');
    const head = (method: string, path: string, extra: string): string =>
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;
    const answers = [
      await rawAnswer(t.port, head('GET', '/ws', 'Sec-WebSocket-Version: 13\r\n')),
      await rawAnswer(t.port, head('GET', '/ws', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\n')),
      await rawAnswer(t.port, head('POST', '/ws', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n')),
      await rawAnswer(t.port, head('GET', '/pcp/v2.0/agent', `Authorization: Bearer ${token}\r\nSec-WebSocket-Version: 13\r\n`)),
    ];
    expect(answers.map((a) => a.split(' ', 2)[1])).toEqual(['400', '400', '405', '400']);
    const text = await scrape(t);
    expect(sample(text, 'pubkeeper_upgrades_refused_total', { listener: 'main', reason: 'bad_handshake' })).toBe(4);
    // A bystander still connects, and a good handshake is not counted.
    await t.client('bystander');
    expect(sample(await scrape(t), 'pubkeeper_upgrades_refused_total', { listener: 'main', reason: 'bad_handshake' })).toBe(4);
  });

  it('/ws refusals by reason: a refused token, too many of them, and the auth timeout', async () => {
    const t = await startTestServer({ config: { maxAuthFailures: 2, authTimeoutMs: 300 } });
    const expired = signedWith(t.keys.dir, baseClaims({ exp: now() - 5 }));
    const flooder = await t.connect();
    flooder.send(Packet.AUTHENTICATE, { token: expired });
    flooder.send(Packet.AUTHENTICATE, { token: 'not-a-token' });
    expect((await closed(flooder)).code).toBe(4001);
    const idle = await t.connect();
    expect((await closed(idle)).code).toBe(4001);
    const text = await scrape(t);
    const auth = (reason: string): number => sample(text, 'pubkeeper_auth_refused_total', { surface: 'ws', reason });
    expect([auth('expired'), auth('malformed'), auth('too_many_failures'), auth('timeout')]).toEqual([1, 1, 1, 1]);
  });

  it('the admin API, /metrics with --metrics-token and the relay count their refusals too', async () => {
    const t = await startTestServer({ config: { metricsToken: 'scrape-secret', relayPort: 0 } });
    const http = `http://127.0.0.1:${t.port}`;
    expect((await fetch(`${http}/admin/sessions`)).status).toBe(401);
    expect((await fetch(`${http}/admin/sessions`, { headers: { authorization: `Bearer ${t.keys.mint('nobody', ['brew:*'])}` } })).status).toBe(403);
    expect((await fetch(`${http}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const relayPort = t.server.relay!.address().port;
    const relayRefusal = new Promise<number>((resolve) => openSocket(relayPort).once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(await relayRefusal).toBe(401);
    const text = await scrape(t);
    const auth = (surface: string, reason: string): number => sample(text, 'pubkeeper_auth_refused_total', { surface, reason });
    expect([auth('admin', 'missing'), auth('admin', 'forbidden'), auth('metrics', 'wrong_token'), auth('relay', 'missing')]).toEqual([1, 1, 1, 1]);
    expect(sample(text, 'pubkeeper_upgrades_refused_total', { listener: 'relay', reason: 'unauthorized' })).toBe(1);
    // The admin check's token time is observed too.
    expect(sample(text, 'pubkeeper_auth_duration_seconds_count', { surface: 'admin' })).toBe(1);
  });

  it('pubkeeper_build_info is 1 with the package version and the Node version', async () => {
    const t = await startTestServer();
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const text = await scrape(t);
    expect(sample(text, 'pubkeeper_build_info', { version, node: process.version })).toBe(1);
  });
});
