import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.js';

describe('HTTP surface', () => {
  it('GET /healthz answers 200 {"status":"ok"} while serving', async () => {
    const t = await startTestServer();
    const res = await fetch(`http://127.0.0.1:${t.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /metrics is Prometheus text: sessions by dialect, brewers, subscriptions, notifications, routed messages, errors and closes by code, event-loop lag', async () => {
    const t = await startTestServer();
    const b = await t.client('b');
    await b.registerBrewer('a.b', { uuid: 'u' });
    await b.subscribe('a.*');
    const p = await t.pcp('p', ['all']);
    const q = await t.pcp('q', []);
    const got = new Promise((resolve) => q.once('message', resolve));
    p.send('pcp://q/agent', 'x/y');
    await got;
    await expect(b.unsubscribe('never')).rejects.toThrow(/^Invalid payload/);
    const gone = await t.client('gone');
    await gone.close(1000);
    await expect(p.request(undefined, 'nope/nope').then((m) => m.data)).resolves.toBe('Unknown message type.');
    await expect(q.inventory(['pcp://*/*'])).rejects.toMatchObject({ kind: 'http://puppetlabs.com/unauthorized' });
    const res = await fetch(`http://127.0.0.1:${t.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('pubkeeper_sessions{dialect="pubkeeper-json"} 1');
    expect(text).toContain('pubkeeper_sessions{dialect="pcp-v2"} 2');
    expect(text).toMatch(/^pubkeeper_brewers 1$/m);
    expect(text).toMatch(/^pubkeeper_subscriptions 1$/m);
    expect(text).toMatch(/^pubkeeper_notifications_sent_total 1$/m);
    expect(text).toMatch(/^pubkeeper_messages_routed_total 1$/m);
    expect(text).toMatch(/^pubkeeper_errors_total\{code="INVALID_PAYLOAD"\} 1$/m);
    expect(text).toMatch(/^pubkeeper_errors_total\{code="UNKNOWN_MESSAGE_TYPE"\} 1$/m);
    expect(text).toMatch(/^pubkeeper_errors_total\{code="UNAUTHORIZED"\} 1$/m);
    expect(text).toMatch(/^pubkeeper_closes_total\{code="1000"\} 1$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('unknown paths are 404, other methods 405, /ws without an upgrade 426', async () => {
    const t = await startTestServer();
    const base = `http://127.0.0.1:${t.port}`;
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/ws`)).status).toBe(426);
    expect((await fetch(`${base}/pcp/v2.0/agent`)).status).toBe(426);
  });

  it('draining: /healthz turns 503, new upgrades are refused 503, sessions close 1001', async () => {
    const t = await startTestServer({ config: { drainTimeoutMs: 3000 } });
    const c = await t.client('a');
    // A client that stops reading holds the drain open long enough to look at the server.
    c.socket.pause();
    const drained = t.server.drain();
    const health = await fetch(`http://127.0.0.1:${t.port}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'draining' });
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(t.url);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('upgrade accepted while draining')));
      ws.once('error', () => undefined);
    });
    expect(refused).toBe(503);
    const closedWith = new Promise<number>((resolve) => c.once('close', (code) => resolve(code)));
    c.socket.resume();
    expect(await closedWith).toBe(1001);
    await drained;
  });
});
