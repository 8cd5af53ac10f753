// Processing: in order, fatal failures straight to the dead-letter store, others retried first;
// dead letters listed, re-queued and deleted (protocol/admin.md ADM-CMD-3 … ADM-CMD-5).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { admin, adminToken, outcome, run, submit } from '../../helpers/admin.js';
import { closed } from '../../helpers/frames.js';
import { tempDir } from '../../helpers/keys.js';
import { startTestServer } from '../../helpers/server.js';

describe('admin: processing and the dead-letter store', () => {
  it('ADM-CMD-3 a failure retrying cannot fix goes straight to the dead-letter store with the reason', async () => {
    const dataDir = tempDir();
    const t = await startTestServer({ config: { dataDir } });
    const failed = await run(t, 'unregister static brewer', { topic: 'a.b', brewer: 'ghost' });
    expect(failed).toMatchObject({ status: 'failed', error: 'Invalid payload: no static brewer ghost on topic a.b', attempts: [] });
    const file = join(dataDir, 'commands', 'discarded', `${failed.uuid as string}.json`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ uuid: failed.uuid, command: 'unregister static brewer', status: 'failed' });
    const listed = await admin(t, '/commands/discarded', { token: adminToken(t) });
    expect(listed.body.discarded).toEqual([expect.objectContaining({ uuid: failed.uuid, error: failed.error })]);
  });

  it('ADM-CMD-3 ADM-CMD-5 a command that fails every retry lands in the store with each attempt; fixed, it is re-queued and done', async () => {
    const dataDir = tempDir();
    const t = await startTestServer({ config: { dataDir, commandRetries: 2, commandRetryBaseMs: 5 } });
    const victim = await t.client('victim', ['all']);
    // The state cannot be written: the revocation must not take effect.
    const state = join(dataDir, 'state');
    rmSync(state, { recursive: true });
    writeFileSync(state, 'not a directory');
    const uuid = await submit(t, 'revoke token', { sub: 'victim' });
    const later = await submit(t, 'kick client', { sub: 'nobody' });
    const failed = await outcome(t, uuid);
    expect(failed.status).toBe('failed');
    expect(failed.attempts).toHaveLength(3);
    for (const attempt of failed.attempts as { at: string; error: string }[]) expect(attempt.error).toMatch(/ENOTDIR/);
    expect(failed.error).toMatch(/^failed after 3 attempts: .*ENOTDIR/);
    // In order: the next command waited for it, and the victim was never closed.
    expect((await outcome(t, later)).status).toBe('done');
    await victim.subscribe('x.*');
    expect(victim.closed).toBeUndefined();
    const metrics = await (await fetch(`http://127.0.0.1:${t.port}/metrics`)).text();
    expect(metrics).toContain('pubkeeper_commands_retried_total{command="revoke token",version="1"} 2');
    expect(metrics).toContain('pubkeeper_commands_discarded_total{command="revoke token",version="1"} 1');

    rmSync(state);
    mkdirSync(state);
    const token = adminToken(t);
    const victimClosed = closed(victim);
    expect(await admin(t, `/commands/discarded/${uuid}/requeue`, { method: 'POST', token })).toMatchObject({ status: 200, body: { uuid } });
    expect(await outcome(t, uuid)).toMatchObject({ status: 'done', attempts: [], result: { closed: 1 } });
    expect((await victimClosed).code).toBe(4004);
    expect((await admin(t, '/commands/discarded', { token })).body.discarded).toEqual([]);
    expect(existsSync(join(dataDir, 'commands', 'discarded', `${uuid}.json`))).toBe(false);
  });

  it('ADM-CMD-5 a dead letter can be deleted; then it is gone', async () => {
    const t = await startTestServer();
    const token = adminToken(t);
    const failed = await run(t, 'unregister static brewer', { topic: 'a.b', brewer: 'ghost' });
    const uuid = failed.uuid as string;
    expect(await admin(t, `/commands/discarded/${uuid}`, { method: 'DELETE', token })).toMatchObject({ status: 200, body: { uuid } });
    expect((await admin(t, '/commands/discarded', { token })).body.discarded).toEqual([]);
    expect((await admin(t, `/commands/${uuid}`, { token })).status).toBe(404);
    expect((await admin(t, `/commands/discarded/${uuid}/requeue`, { method: 'POST', token })).status).toBe(404);
  });

  it('ADM-CMD-4 GET /commands lists the recent commands, newest first; finished ones beyond --command-history are forgotten', async () => {
    const t = await startTestServer({ config: { commandHistory: 2 } });
    const token = adminToken(t);
    const uuids: string[] = [];
    for (const sub of ['a', 'b', 'c']) uuids.push((await run(t, 'kick client', { sub })).uuid as string);
    const list = (await admin(t, '/commands', { token })).body.commands as { uuid: string }[];
    expect(list.map((c) => c.uuid)).toEqual([uuids[2], uuids[1]]);
    expect((await admin(t, `/commands/${uuids[0]}`, { token })).status).toBe(404);
    expect((await admin(t, `/commands/${uuids[2]}`, { token })).body).toMatchObject({ command: 'kick client', version: 1, payload: { sub: 'c' }, status: 'done', result: { kicked: 0 } });
  });
});
