// The windows a crash or a failed write can fall into, and hostile admin input: nothing answered
// 200 is lost, nothing applied is applied twice or reported failed, nothing kills the process.
// (protocol/admin.md ADM-CMD-2, ADM-CMD-3, ADM-DATA-1)
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { admin, adminToken, outcome, run, submit } from '../../helpers/admin.js';
import { closed } from '../../helpers/frames.js';
import { tempDir } from '../../helpers/keys.js';
import { startTestServer } from '../../helpers/server.js';

/** A queued command's file, as the store writes it, to lay out what a crash would leave. */
function queueFile(dataDir: string, seq: number, record: Record<string, unknown>): void {
  const dir = join(dataDir, 'commands', 'queue');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${String(seq).padStart(12, '0')}-${String(record.uuid)}.json`), JSON.stringify(record));
}

const command = (uuid: string, name: string, payload: unknown, extra: Record<string, unknown> = {}) => ({
  uuid,
  command: name,
  version: 1,
  payload,
  received: new Date().toISOString(),
  status: 'queued',
  attempts: [],
  ...extra,
});

/** A raw request line, for targets fetch would refuse to send. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('admin: hostile input', () => {
  it('ADM-AUTH-1 a request target that is not a URL is answered, and the server goes on', async () => {
    const t = await startTestServer();
    for (const target of ['//x:99999999/', '//x:99999999/admin/topics', '/admin/topics?%zz']) {
      const answer = await rawRequest(t.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 (400|401|404) /);
    }
    expect((await fetch(`http://127.0.0.1:${t.port}/healthz`)).status).toBe(200);
  });

  it('ADM-CMD-1 a payload nested thousands of levels deep is refused at the edge; the lists stay readable', async () => {
    const t = await startTestServer();
    const deep = `{"command":"register static brewer","version":1,"payload":{"topic":"a.b","brewer":{"uuid":"u","x":${'['.repeat(5000)}${']'.repeat(5000)}}}}`;
    const refused = await admin(t, '/commands', { method: 'POST', token: adminToken(t), type: 'application/json', body: deep });
    expect(refused).toMatchObject({ status: 400, body: { error: 'Invalid payload for command "register static brewer" version 1: nested more than 32 levels deep' } });
    expect((await admin(t, '/commands', { token: adminToken(t) })).body).toEqual({ commands: [] });
    expect((await admin(t, '/commands/discarded', { token: adminToken(t) })).body).toEqual({ discarded: [] });
  });
});

describe('admin: failed writes and crashes', () => {
  it('ADM-CMD-3 when its outcome cannot be written, a command is not run again; the outcome is written once it can be', async () => {
    const dataDir = tempDir();
    const t = await startTestServer({ config: { dataDir, commandRetryBaseMs: 20 } });
    const done = join(dataDir, 'commands', 'done');
    rmSync(done, { recursive: true });
    writeFileSync(done, 'not a directory');
    const victim = await t.client('victim', ['all']);
    const kicked = closed(victim);
    const uuid = await submit(t, 'kick client', { sub: 'victim' });
    expect((await kicked).code).toBe(4005);
    // It reconnects at once; were the command run again, it would be kicked again.
    const back = await t.client('victim', ['all']);
    expect((await admin(t, `/commands/${uuid}`, { token: adminToken(t) })).body.status).toBe('queued');
    rmSync(done);
    mkdirSync(done);
    expect(await outcome(t, uuid)).toMatchObject({ status: 'done', result: { kicked: 1 } });
    await back.subscribe('still.here');
    expect(back.closed).toBeUndefined();
  });

  it('ADM-DATA-1 a crash after the state was written and before the outcome: not applied again, reported done', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ config: { dataDir } });
    await run(first, 'register static brewer', { topic: 'a.b', brewer: { uuid: 's1' } });
    await first.server.drain();
    // What the crash left: the unregister's state written, its queue file still there, no outcome.
    const uuid = randomUUID();
    writeFileSync(join(dataDir, 'state', 'static-brewers.json'), JSON.stringify({ lastCommand: uuid, brewers: [] }));
    queueFile(dataDir, 100, command(uuid, 'unregister static brewer', { topic: 'a.b', brewer: 's1' }));
    const second = await startTestServer({ config: { dataDir } });
    expect(await outcome(second, uuid)).toMatchObject({ status: 'done', result: { appliedBeforeRestart: true } });
    expect(second.server.hub.registry.size).toBe(0);
  });

  it('ADM-DATA-1 a crash inside a discard leaves the command failed; a crash inside a requeue leaves it queued', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ config: { dataDir } });
    const failed = await run(first, 'unregister static brewer', { topic: 'a.b', brewer: 'ghost' });
    const requeued = await run(first, 'unregister static brewer', { topic: 'c.d', brewer: 'ghost' });
    await first.server.drain();
    const dead = (id: unknown) => JSON.parse(readFileSync(join(dataDir, 'commands', 'discarded', `${String(id)}.json`), 'utf8')) as Record<string, unknown>;
    // Discard crash: its queue file came back, with no requeue after the failure.
    queueFile(dataDir, 200, command(String(failed.uuid), 'unregister static brewer', { topic: 'a.b', brewer: 'ghost' }, { received: dead(failed.uuid).received }));
    // Requeue crash: queued again after it failed, its dead letter not yet gone. A static brewer
    // exists now, so run again it succeeds.
    writeFileSync(join(dataDir, 'state', 'static-brewers.json'), JSON.stringify({ brewers: [{ topic: 'c.d', brewer: { uuid: 'ghost' } }] }));
    const later = new Date(Date.parse(String(dead(requeued.uuid).finished)) + 1000).toISOString();
    queueFile(dataDir, 201, command(String(requeued.uuid), 'unregister static brewer', { topic: 'c.d', brewer: 'ghost' }, { requeued: later }));
    const second = await startTestServer({ config: { dataDir } });
    expect(await outcome(second, String(requeued.uuid))).toMatchObject({ status: 'done' });
    expect((await admin(second, `/commands/${String(failed.uuid)}`, { token: adminToken(second) })).body).toMatchObject({ status: 'failed' });
    expect(readdirSync(join(dataDir, 'commands', 'queue'))).toEqual([]);
    expect(existsSync(join(dataDir, 'commands', 'discarded', `${String(requeued.uuid)}.json`))).toBe(false);
  });

  it('ADM-CMD-3 commands sent at once are processed, and after a restart still processed, in the order they were queued', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ config: { dataDir, commandRetries: 5, commandRetryBaseMs: 60_000 } });
    const state = join(dataDir, 'state');
    rmSync(state, { recursive: true });
    writeFileSync(state, 'not a directory');
    const uuids = await Promise.all(Array.from({ length: 30 }, (_, i) => submit(first, i % 2 ? 'unrevoke token' : 'revoke token', { sub: 'flip' })));
    const queued = ((await admin(first, '/commands?limit=100', { token: adminToken(first) })).body.commands as { uuid: string }[]).map((c) => c.uuid).reverse();
    expect(new Set(queued)).toEqual(new Set(uuids));
    await first.server.drain();
    rmSync(state);
    mkdirSync(state);
    const second = await startTestServer({ config: { dataDir } });
    const finished: { uuid: string; finished: string }[] = [];
    for (const uuid of queued) finished.push((await outcome(second, uuid)) as { uuid: string; finished: string });
    const processed = [...finished].sort((a, b) => a.finished.localeCompare(b.finished)).map((r) => r.uuid);
    expect(processed).toEqual(queued);
  });

  it('ADM-DATA-1 the temporary files a crash left are deleted at start; an unreadable state file stops the start with its name', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ config: { dataDir } });
    await first.server.drain();
    const stale = join(dataDir, 'commands', 'queue', '.tmp-1-1-000000000001-x.json');
    writeFileSync(stale, '{"half');
    await startTestServer({ config: { dataDir } });
    expect(existsSync(stale)).toBe(false);

    const broken = tempDir();
    mkdirSync(join(broken, 'state'), { recursive: true });
    writeFileSync(join(broken, 'state', 'revocations.json'), 'null');
    await expect(startTestServer({ config: { dataDir: broken } })).rejects.toThrow(`${join(broken, 'state', 'revocations.json')} does not hold {jtis, subs}.`);
  });

  it('ADM-READ-3 past --max-admin-event-streams a new event stream is 503', async () => {
    const t = await startTestServer({ config: { maxAdminEventStreams: 1 } });
    const headers = { authorization: `Bearer ${adminToken(t)}` };
    const controller = new AbortController();
    const open = await fetch(`http://127.0.0.1:${t.port}/admin/events`, { headers, signal: controller.signal });
    expect(open.status).toBe(200);
    const second = await fetch(`http://127.0.0.1:${t.port}/admin/events`, { headers });
    expect(second.status).toBe(503);
    expect(await second.json()).toEqual({ error: 'at most 1 event streams are open' });
    controller.abort();
  });
});
