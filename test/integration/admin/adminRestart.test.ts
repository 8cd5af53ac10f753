// What the admin plane keeps under --data-dir survives a restart and a crash (ADM-CMD-2, ADM-DATA-1).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PcpClient, PcpConnectError } from '../../../src/client/pcpClient.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { admin, outcome, run, submit } from '../../helpers/admin.js';
import { startCli } from '../../helpers/cli.js';
import { nextFrame } from '../../helpers/frames.js';
import { tempDir, tempKeys } from '../../helpers/keys.js';
import { startTestServer } from '../../helpers/server.js';

/** Makes the state directory unwritable (a file where it should be), so commands retry and hold the queue. */
function breakState(dataDir: string): () => void {
  const state = join(dataDir, 'state');
  rmSync(state, { recursive: true, force: true });
  writeFileSync(state, 'not a directory');
  return () => {
    rmSync(state);
    mkdirSync(state);
  };
}

describe('admin: restarts', () => {
  it('ADM-DATA-1 revocations and static brewers survive a restart', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ config: { dataDir } });
    await run(first, 'revoke token', { sub: 'banned' });
    await run(first, 'register static brewer', { topic: 'plant.pump', brewer: { uuid: 'st-1', port: 1 } });
    await first.server.drain();

    const second = await startTestServer({ config: { dataDir } });
    await expect(PcpClient.connect(second.base, { token: second.keys.mint('banned', ['all']) })).rejects.toEqual(new PcpConnectError(401));
    const c = await second.client('viewer', ['all']);
    const snapshot = nextFrame(c, (f) => f[0] === Packet.BREWER_NOTIFY);
    await c.subscribe('plant.*');
    expect((await snapshot)[1]).toEqual({ topic: 'plant.pump', brewer: { uuid: 'st-1', port: 1 } });
    await expect(c.unregisterBrewer('plant.pump', 'st-1')).rejects.toThrow('Lack Permissions');
  });

  it('ADM-DATA-1 queued commands survive a restart and run then, in order', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ config: { dataDir, commandRetries: 5, commandRetryBaseMs: 60_000 } });
    const repair = breakState(dataDir);
    const revoke = await submit(first, 'revoke token', { sub: 'later' });
    const register = await submit(first, 'register static brewer', { topic: 'q.a', brewer: { uuid: 'q1' } });
    const kick = await submit(first, 'kick client', { sub: 'nobody' });
    const token = first.keys.mint('root', ['admin:*']);
    expect((await admin(first, `/commands/${kick}`, { token })).body.status).toBe('queued');
    await first.server.drain();
    repair();

    const second = await startTestServer({ config: { dataDir } });
    for (const uuid of [revoke, register, kick]) expect((await outcome(second, uuid)).status).toBe('done');
    await expect(PcpClient.connect(second.base, { token: second.keys.mint('later', ['all']) })).rejects.toEqual(new PcpConnectError(401));
    expect(second.server.hub.registry.get('q.a', 'q1')).toBeDefined();
  });

  it('ADM-CMD-2 a command answered 200 survives a crash (SIGKILL) of the server', async () => {
    const dataDir = tempDir();
    const keys = tempKeys();
    const env = { PUBKEEPER_DATA_DIR: dataDir, PUBKEEPER_COMMAND_RETRIES: '5', PUBKEEPER_COMMAND_RETRY_BASE_MS: '60000' };
    const first = await startCli(['--port', '0', '--host', '127.0.0.1', '--keys', keys.dir], env);
    const repair = breakState(dataDir);
    const token = keys.mint('root', ['admin:*']);
    const post = (command: object) =>
      admin({ port: first.port }, '/commands', { method: 'POST', token, type: 'application/json', body: JSON.stringify(command) });
    const accepted = [
      await post({ command: 'revoke token', version: 1, payload: { jti: 'crash-1' } }),
      await post({ command: 'register static brewer', version: 1, payload: { topic: 'c.a', brewer: { uuid: 'c1' } } }),
    ];
    expect(accepted.map((a) => a.status)).toEqual([200, 200]);
    first.child.kill('SIGKILL');
    await first.exited;
    repair();

    const second = await startCli(['--port', '0', '--host', '127.0.0.1', '--keys', keys.dir], { PUBKEEPER_DATA_DIR: dataDir });
    const t = { port: second.port, keys } as Parameters<typeof outcome>[0];
    for (const answer of accepted) expect((await outcome(t, answer.body.uuid as string)).status).toBe('done');
    const topics = await admin({ port: second.port }, '/admin/topics', { token });
    expect(topics.body.topics).toEqual([expect.objectContaining({ topic: 'c.a' })]);
  });
});
