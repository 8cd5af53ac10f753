import { once } from 'node:events';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import WebSocket from 'ws';
import { V1_DIALECTS } from '../../src/core/dialects/v1/v1Dialect.js';
import type { SessionTable } from '../../src/core/sessions/sessionTable.js';
import { Metrics } from '../../src/server/metrics.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The 1.1 dialect's name, its sessions' label. */
const V1 = V1_DIALECTS['1.1'].name;

/** Opens `count` raw sockets on /ws, 200 at a time, offering `protocol` when given. Terminated at test end. */
async function open(t: TestServer, count: number, protocol?: string): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  onTestFinished(() => {
    for (const ws of sockets) ws.terminate();
  });
  for (let done = 0; done < count; done += 200) {
    const batch = Array.from({ length: Math.min(200, count - done) }, () => new WebSocket(t.url, protocol === undefined ? [] : [protocol]));
    sockets.push(...batch);
    await Promise.all(batch.map((ws) => once(ws, 'open')));
  }
  return sockets;
}

/** `pubkeeper_sessions{dialect}` as a scrape says it. */
function sessionsByDialect(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [, dialect, value] of text.matchAll(/^pubkeeper_sessions\{dialect="([^"]+)"\} (\d+)$/gm)) counts[dialect!] = Number(value);
  return counts;
}

/** Counts every walk over the session table from now on. */
function countWalks(sessions: SessionTable): () => number {
  let walks = 0;
  const iterate = sessions[Symbol.iterator].bind(sessions);
  Object.defineProperty(sessions, Symbol.iterator, {
    configurable: true,
    value: () => {
      walks += 1;
      return iterate();
    },
  });
  return () => walks;
}

const scrape = async (t: TestServer, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`http://127.0.0.1:${t.port}/metrics`, { headers });

describe('/metrics (CONTRACT §6b: the same cost whatever the number of sessions)', () => {
  it('with 2,000 sessions: the sessions gauge is right per dialect, before and after some end, and a scrape walks no session, handle or descriptor', async () => {
    const t = await startTestServer({ config: { maxConnectionsPerAddress: 5000, authTimeoutMs: 60000 } });
    const json = await open(t, 1500);
    await open(t, 500, 'pubkeeper-1.1');
    await t.pcp('agent-a');
    await t.pcp('agent-b');
    expect(t.server.hub.sessions.size).toBe(2002);

    const walks = countWalks(t.server.hub.sessions);
    const handles = vi.spyOn(process as unknown as { _getActiveHandles: () => unknown[] }, '_getActiveHandles');
    const resources = vi.spyOn(process, 'getActiveResourcesInfo');
    onTestFinished(() => {
      handles.mockRestore();
      resources.mockRestore();
    });
    const text = await t.server.metrics.render();
    const res = await scrape(t);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('pubkeeper_sessions{dialect="pubkeeper-json"} 1500');
    expect(walks()).toBe(0);
    expect(handles).not.toHaveBeenCalled();
    expect(resources).not.toHaveBeenCalled();
    expect(text).not.toMatch(/^(nodejs_active_handles|nodejs_active_resources|process_open_fds)/m);
    expect(sessionsByDialect(text)).toEqual({ 'pubkeeper-json': 1500, [V1]: 500, 'pcp-v2': 2 });
    expect(text).toMatch(/^pubkeeper_log_lines_dropped_total 0$/m);

    // Ended sessions leave the gauge as they go.
    for (const ws of json.slice(0, 400)) ws.close(1000);
    await vi.waitFor(() => expect(t.server.hub.sessions.size).toBe(1602));
    const after = await t.server.metrics.render();
    expect(sessionsByDialect(after)).toEqual({ 'pubkeeper-json': 1100, [V1]: 500, 'pcp-v2': 2 });
    expect(after).toMatch(/^pubkeeper_closes_total\{code="1000"\} 400$/m);
    expect(walks()).toBe(0);
  });

  it('pubkeeper_log_lines_dropped_total reads the count it is given (serve gives its log\'s)', async () => {
    const t = await startTestServer();
    let dropped = 0;
    const metrics = new Metrics(t.server.hub, undefined, { logDrops: () => dropped });
    expect(await metrics.render()).toMatch(/^pubkeeper_log_lines_dropped_total 0$/m);
    dropped = 42;
    expect(await metrics.render()).toMatch(/^pubkeeper_log_lines_dropped_total 42$/m);
  });

  it('--metrics-token: without the bearer token, or with a wrong one, 401 {"error"}; with it, 200; /healthz stays open', async () => {
    const t = await startTestServer({ config: { metricsToken: 'scrape-secret' } });
    const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: 'Bearer scrape-secre' }, { authorization: 'Bearer scrape-secret2' }, { authorization: 'Basic scrape-secret' }, { authorization: 'scrape-secret' }];
    for (const headers of refused) {
      const res = await scrape(t, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({ error: expect.any(String) });
    }
    const ok = await scrape(t, { authorization: 'Bearer scrape-secret' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^pubkeeper_brewers 0$/m);
    expect((await scrape(t, { authorization: 'bearer scrape-secret' })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${t.port}/healthz`)).status).toBe(200);
  });

  it('without --metrics-token, /metrics is open', async () => {
    const t = await startTestServer();
    expect((await scrape(t)).status).toBe(200);
  });
});
