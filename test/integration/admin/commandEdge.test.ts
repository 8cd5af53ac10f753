// The edge of POST /commands and the admin check on every endpoint: each bad request gets its
// status and a one-line {error}, queues nothing and touches no session. (protocol/admin.md)
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { admin, adminToken, outcome } from '../../helpers/admin.js';
import { tempDir } from '../../helpers/keys.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const REVOKE = { command: 'revoke token', version: 1, payload: { sub: 'mallory' } };

/** A server with a small body limit, and a bystander session that must keep working. */
async function rig(config: Record<string, string | number> = {}) {
  const dataDir = tempDir();
  const t = await startTestServer({ config: { maxCommandBytes: 300, dataDir, ...config } });
  const bystander = await t.client('bystander', ['all']);
  await bystander.subscribe('by.*');
  const token = adminToken(t);
  /** Nothing was queued, and the bystander still gets its notifications. */
  const nothingChanged = async (): Promise<void> => {
    expect((await admin(t, '/commands', { token })).body).toEqual({ commands: [] });
    const notified = new Promise((resolve) => bystander.once('notify', resolve));
    const brewer = await t.client('brewer', ['all']);
    await brewer.registerBrewer('by.x', { uuid: `by-${Math.random()}` });
    await notified;
    expect(bystander.closed).toBeUndefined();
  };
  return { t, token, dataDir, nothingChanged };
}

const post = (t: TestServer, body: string, type = 'application/json', token?: string, query = '') =>
  admin(t, `/commands${query}`, { method: 'POST', token, type, body });

/** A chunked POST without Content-Length, so only the bytes that arrive tell its size. */
function chunkedPost(t: TestServer, token: string, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.port, path: '/commands', method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('admin: authentication of every endpoint', () => {
  it('ADM-AUTH-1 no token, a refused token, a revoked one: 401; no admin right: 403; nothing done', async () => {
    const { t, nothingChanged } = await rig();
    const body = JSON.stringify(REVOKE);
    for (const path of ['/commands', '/commands/discarded', '/admin/sessions', '/admin/topics', '/admin/events', '/commands/00000000-0000-4000-8000-000000000000']) {
      const missing = await admin(t, path);
      expect([path, missing.status, missing.body]).toEqual([path, 401, { error: 'missing token: send Authorization: Bearer <token>' }]);
    }
    expect(await post(t, body, 'application/json', 'not.a.token')).toMatchObject({ status: 401, body: { error: 'malformed token' } });
    expect(await post(t, body, 'application/json', t.keys.mint('root', ['admin:*'], { ttlSeconds: 1, nowSeconds: 1 }))).toMatchObject({ status: 401, body: { error: 'token expired' } });
    expect(await post(t, body, 'application/json', t.keys.mint('user', ['brew:**', 'subscribe:**']))).toMatchObject({ status: 403, body: { error: 'the token has no admin right' } });
    await nothingChanged();
    const doomed = t.keys.mint('root', ['admin:*'], { jti: 'doomed' });
    expect((await outcome(t, (await post(t, JSON.stringify({ command: 'revoke token', version: 1, payload: { jti: 'doomed' } }), 'application/json', adminToken(t))).body.uuid as string)).status).toBe('done');
    expect(await post(t, body, 'application/json', doomed)).toMatchObject({ status: 401, body: { error: 'token revoked' } });
    expect((await admin(t, '/admin/sessions', { token: t.keys.mint('user', ['all']) })).status).toBe(200);
    expect((await admin(t, '/commands', { token: adminToken(t) })).body.commands).toHaveLength(1);
  });

  it('ADM-AUTH-1 the dashboard page loads without a token', async () => {
    const { t } = await rig();
    const page = await fetch(`http://127.0.0.1:${t.port}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  });
});

describe('admin: POST /commands edge checks', () => {
  it('ADM-CMD-1 413 for a body over --max-command-bytes, by its Content-Length or as it arrives', async () => {
    const { t, token, nothingChanged } = await rig();
    const big = JSON.stringify({ ...REVOKE, pad: 'x'.repeat(400) });
    expect(await post(t, big, 'application/json', token)).toMatchObject({ status: 413, body: { error: 'the request body is larger than 300 bytes' } });
    const chunked = await chunkedPost(t, token, [big.slice(0, 200), big.slice(200)]);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toEqual({ error: 'the request body is larger than 300 bytes' });
    await nothingChanged();
  });

  it('ADM-CMD-1 415 for another content type; 400 for a body that is not UTF-8', async () => {
    const { t, token, nothingChanged } = await rig();
    expect(await post(t, JSON.stringify(REVOKE), 'text/plain', token)).toMatchObject({
      status: 415,
      body: { error: 'Content-Type must be application/json or application/x-www-form-urlencoded' },
    });
    const notUtf8 = await admin(t, '/commands', { method: 'POST', token, type: 'application/json', body: Buffer.from([0x7b, 0xff, 0x7d]) });
    expect(notUtf8).toMatchObject({ status: 400, body: { error: 'the body is not UTF-8' } });
    await nothingChanged();
  });

  it.each([
    ['not JSON', '{"command":', 'the command is not valid JSON'],
    ['not an object', '[1,2]', 'the command must be a JSON object'],
    ['a missing field', '{"command":"revoke token","version":1}', 'missing field "payload"'],
    ['a version that is not an integer', '{"command":"revoke token","version":"1","payload":{}}', '"version" must be an integer'],
    ['an unknown command', '{"command":"replace facts","version":1,"payload":{}}', 'Unknown command "replace facts". Known commands: revoke token, unrevoke token, kick client, register static brewer, unregister static brewer.'],
    ['a version too old', '{"command":"kick client","version":0,"payload":{"sub":"a"}}', 'Version 0 of command "kick client" is not supported. Supported versions: 1.'],
    ['a version newer than known', '{"command":"kick_client","version":2,"payload":{"sub":"a"}}', 'Version 2 of command "kick client" is not supported. Supported versions: 1.'],
    ['a payload of the wrong shape', '{"command":"revoke token","version":1,"payload":{"jti":"a","sub":"b"}}', 'Invalid payload for command "revoke token" version 1: give exactly one of jti and sub'],
    ['a wrongly typed payload field', '{"command":"register static brewer","version":1,"payload":{"topic":"a","brewer":{"uuid":7}}}', 'Invalid payload for command "register static brewer" version 1: brewer must be an object with a uuid string of 1 to 128 characters'],
    ['a bad topic', '{"command":"register static brewer","version":1,"payload":{"topic":"a.*","brewer":{"uuid":"u"}}}', 'Invalid payload for command "register static brewer" version 1: topic must be a literal topic without wildcards'],
  ])('ADM-CMD-1 400 for %s', async (_name, body, error) => {
    const { t, token, nothingChanged } = await rig();
    expect(await post(t, body, 'application/json', token)).toEqual(expect.objectContaining({ status: 400, body: { error } }));
    await nothingChanged();
  });

  it("ADM-CMD-1 the form: payload parameter required, checksum verified when given (form field or query)", async () => {
    const { t, token, nothingChanged } = await rig({ maxCommandBytes: 65536 });
    const text = JSON.stringify(REVOKE);
    const sha1 = createHash('sha1').update(text).digest('hex');
    const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
    const FORM = 'application/x-www-form-urlencoded';
    expect(await post(t, form({ command: text }), FORM, token)).toMatchObject({ status: 400, body: { error: 'missing the payload parameter' } });
    expect(await post(t, form({ payload: text, checksum: 'f'.repeat(40) }), FORM, token)).toMatchObject({ status: 400, body: { error: "checksums don't match" } });
    expect(await post(t, text, 'application/json', token, `?checksum=${'0'.repeat(40)}`)).toMatchObject({ status: 400, body: { error: "checksums don't match" } });
    await nothingChanged();
    const viaForm = await post(t, form({ payload: text, checksum: sha1 }), FORM, token);
    expect(viaForm.status).toBe(200);
    expect(viaForm.body.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const viaJson = await post(t, text, 'application/json; charset=utf-8', token, `?checksum=${sha1.toUpperCase()}`);
    expect(viaJson.status).toBe(200);
    expect((await outcome(t, viaJson.body.uuid as string)).status).toBe('done');
  });

  it('ADM-CMD-2 503 when the queue cannot be written; nothing is queued and the server goes on', async () => {
    const { t, token, dataDir, nothingChanged } = await rig();
    const queue = join(dataDir, 'commands', 'queue');
    rmSync(queue, { recursive: true });
    writeFileSync(queue, 'not a directory');
    const refused = await post(t, JSON.stringify(REVOKE), 'application/json', token);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatch(/^could not queue the command: /);
    await nothingChanged();
  });

  it('ADM-CMD-4 405 for another method, 404 for an unknown uuid or admin path', async () => {
    const { t, token } = await rig();
    const put = await admin(t, '/commands', { method: 'PUT', token, type: 'application/json', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST, GET');
    expect(await admin(t, '/commands/00000000-0000-4000-8000-000000000000', { token })).toMatchObject({ status: 404, body: { error: 'no command 00000000-0000-4000-8000-000000000000' } });
    expect(await admin(t, '/admin/nothing', { token })).toMatchObject({ status: 404 });
    expect(await admin(t, '/commands/discarded/00000000-0000-4000-8000-000000000000', { method: 'DELETE', token })).toMatchObject({ status: 404 });
  });

  it('ADM-AUTH-2 every admin action is logged with the admin\'s sub and never the token', async () => {
    const { captureLogger } = await import('../../helpers/server.js');
    const { logger, lines } = captureLogger('info');
    const t = await startTestServer({ logger, config: { dataDir: tempDir() } });
    const token = adminToken(t, 'ops-alice');
    const uuid = (await post(t, JSON.stringify(REVOKE), 'application/json', token)).body.uuid as string;
    await outcome(t, uuid);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.some((e) => e.msg === 'admin request' && e.admin === 'ops-alice' && e.path === '/commands')).toBe(true);
    expect(entries.some((e) => e.msg === 'admin command done' && e.uuid === uuid)).toBe(true);
    expect(lines.join('\n')).not.toContain(token);
  });
});
