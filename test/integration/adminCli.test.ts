import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CommandRecord } from '../../src/server/admin/commandStore.js';
import type { SessionEntry, TopicEntry } from '../../src/server/admin/readApi.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { closed, nextFrame } from '../helpers/frames.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** `pubkeeper admin …` against the test server, with an admin token from the environment. */
async function admin(t: TestServer, args: string[], token = t.keys.mint('root', ['admin:*'])): Promise<CliResult> {
  return runCli(['admin', ...args, '--url', `http://127.0.0.1:${t.port}`], { PUBKEEPER_TOKEN: token });
}

const json = <T>(result: CliResult): T => JSON.parse(result.stdout) as T;

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('pubkeeper admin', () => {
  it('revoke --sub closes the live session of that sub with 4004 and prints the summary; unrevoke lifts it', async () => {
    const t = await startTestServer();
    const bob = await t.client('bob', ['all']);
    const bobClosed = closed(bob);

    const revoked = await admin(t, ['revoke', '--sub', 'bob']);
    expect(revoked).toMatchObject({ code: 0, stderr: '' });
    expect(revoked.stdout).toBe('revoked sub bob: 1 session closed\n');
    expect((await bobClosed).code).toBe(4004);
    await expect(t.client('bob', ['all'])).rejects.toThrow();

    const lifted = await admin(t, ['unrevoke', '--sub', 'bob']);
    expect(lifted).toMatchObject({ code: 0, stdout: 'unrevoked sub bob\n' });
    expect((await t.client('bob', ['all'])).closed).toBeUndefined();
  });

  it('kick --uri closes a PCP client with 4005; --json prints the final record', async () => {
    const t = await startTestServer();
    const agent = await t.pcp('agent-1', ['all']);
    const agentClosed = new Promise<number>((resolve) => agent.once('close', (code) => resolve(code)));

    const kicked = await admin(t, ['kick', '--uri', agent.uri, '--json']);
    expect(kicked.code).toBe(0);
    expect(json<CommandRecord>(kicked)).toMatchObject({ command: 'kick client', version: 1, status: 'done', payload: { uri: agent.uri }, result: { kicked: 1 } });
    expect(await agentClosed).toBe(4005);
  });

  it('static-brewer registers a brewer that topics shows (table and --json), and --remove unregisters it', async () => {
    const t = await startTestServer();
    const watcher = await t.client('watcher', ['all']);
    await watcher.subscribe('weather.**');
    const notified = nextFrame(watcher, (f) => f[0] === 12);

    const registered = await admin(t, ['static-brewer', '--topic', 'weather.paris', '--brewer', '{"uuid":"sb-1","port":9000}']);
    expect(registered).toMatchObject({ code: 0, stdout: 'registered static brewer sb-1 on weather.paris\n' });
    expect((await notified)[1]).toEqual({ topic: 'weather.paris', brewer: { uuid: 'sb-1', port: 9000 } });

    const listed = await admin(t, ['topics']);
    expect(listed.code).toBe(0);
    const [header, row, ...rest] = listed.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TOPIC\s+BREWERS\s+SUBSCRIBERS$/);
    expect(row).toMatch(/^weather\.paris\s+sb-1 \(static\)\s+1$/);
    expect(rest).toEqual([]);

    const asJson = await admin(t, ['topics', '--json', '--limit', '1']);
    expect(json<TopicEntry[]>(asJson)).toEqual([
      { topic: 'weather.paris', brewers: [{ uuid: 'sb-1', sub: null, static: true, session: null, brewer: { uuid: 'sb-1', port: 9000 } }], subscribers: 1 },
    ]);

    const removedFrame = nextFrame(watcher, (f) => f[0] === 13);
    const removed = await admin(t, ['static-brewer', '--remove', '--topic', 'weather.paris', '--brewer', 'sb-1']);
    expect(removed).toMatchObject({ code: 0, stdout: 'unregistered static brewer sb-1 from weather.paris\n' });
    expect((await removedFrame)[1]).toEqual({ topic: 'weather.paris', brewer: { uuid: 'sb-1', port: 9000 } });
    expect((await admin(t, ['topics'])).stdout).toBe('no topics\n');
  });

  it('sessions lists connected clients with their sub, following pages, as JSON and as a table', async () => {
    const t = await startTestServer();
    const carol = await t.client('carol', ['all']);
    await carol.subscribe('a.*');
    await t.client('dave', ['all']);
    await t.pcp('erin', ['all']);

    // --limit 1: three sessions take three pages, all of them followed.
    const listed = await admin(t, ['sessions', '--json', '--limit', '1']);
    expect(listed.code).toBe(0);
    const sessions = json<SessionEntry[]>(listed);
    expect(sessions.map((s) => s.sub)).toEqual(['carol', 'dave', 'erin']);
    expect(sessions[0]).toMatchObject({ sub: 'carol', dialect: expect.any(String) as string, subscriptions: ['a.*'] });
    expect(sessions[2]).toMatchObject({ sub: 'erin', uri: 'pcp://erin/agent' });

    const table = (await admin(t, ['sessions'])).stdout.trimEnd().split('\n');
    expect(table[0]).toMatch(/^ID\s+SUB\s+DIALECT\s+URI\s+REMOTE\s+CONNECTED SINCE\s+BREWERS\s+SUBSCRIPTIONS$/);
    expect(table).toHaveLength(4);
    expect(table[1]).toMatch(new RegExp(`^${sessions[0]?.id.slice(0, 8)}\\s+carol\\s+\\S+\\s+-\\s+\\S+\\s+\\S+\\s+0\\s+1$`));
    expect(table[3]).toContain('pcp://erin/agent');
  });

  it('commands --uuid shows a done command, commands lists it, and an unknown uuid exits 1', async () => {
    const t = await startTestServer();
    const queued = await admin(t, ['revoke', '--jti', 'j-42', '--no-wait', '--json']);
    expect(queued.code).toBe(0);
    const { uuid } = json<{ uuid: string }>(queued);
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    // Waiting on a later command waits for this one too: the queue runs in order.
    expect((await admin(t, ['unrevoke', '--jti', 'nobody'])).stdout).toBe('jti nobody was not revoked: nothing to do\n');

    const one = await admin(t, ['commands', '--uuid', uuid, '--json']);
    expect(json<CommandRecord>(one)).toMatchObject({ uuid, command: 'revoke token', status: 'done', payload: { jti: 'j-42' }, result: { closed: 0 } });
    const block = await admin(t, ['commands', '--uuid', uuid]);
    expect(block.stdout).toMatch(/^status\s+done$/m);
    expect(block.stdout).toMatch(/^result\s+\{"closed":0\}$/m);

    const list = (await admin(t, ['commands'])).stdout.trimEnd().split('\n');
    expect(list[0]).toMatch(/^UUID\s+COMMAND\s+VERSION\s+STATUS\s+RECEIVED\s+ERROR$/);
    expect(list[2]).toMatch(new RegExp(`^${uuid}\\s+revoke token\\s+1\\s+done\\s+\\S+\\s+-$`));

    const unknown = randomUUID();
    const missing = await admin(t, ['commands', '--uuid', unknown]);
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: `pubkeeper admin: no command ${unknown}\n` });
  });

  it('a failed command exits 1 with its reason; discarded lists it, --requeue runs it again, --delete removes it', async () => {
    const t = await startTestServer();
    const failed = await admin(t, ['static-brewer', '--remove', '--topic', 'x.y', '--brewer', 'ghost']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/^pubkeeper admin: command [0-9a-f-]{36} failed: .*no static brewer ghost on topic x\.y\n$/);
    const uuid = /command (\S+) failed/.exec(failed.stderr)?.[1] ?? '';

    const listed = await admin(t, ['discarded']);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^UUID\s+COMMAND\s+VERSION\s+FAILED AT\s+REASON$/);
    expect(lines[1]).toMatch(new RegExp(`^${uuid}\\s+unregister static brewer\\s+1\\s+\\S+\\s+.*no static brewer ghost`));

    // Requeued, it fails again, and is back among the dead letters.
    const requeued = await admin(t, ['discarded', '--requeue', uuid]);
    expect(requeued.code).toBe(1);
    expect(requeued.stderr).toContain(`command ${uuid} failed`);
    expect(json<CommandRecord[]>(await admin(t, ['discarded', '--json'])).map((r) => r.uuid)).toEqual([uuid]);

    expect(await admin(t, ['discarded', '--delete', uuid])).toMatchObject({ code: 0, stdout: `deleted ${uuid}\n` });
    expect((await admin(t, ['discarded'])).stdout).toBe('no discarded commands\n');
    expect(await admin(t, ['discarded', '--delete', uuid])).toMatchObject({ code: 1, stderr: `pubkeeper admin: no discarded command ${uuid}\n` });
  });

  const usageErrors: [string, string[], RegExp][] = [
    ['no subcommand', [], /missing a subcommand/],
    ['an unknown subcommand', ['frobnicate'], /unknown command 'frobnicate'/],
    ['both --jti and --sub', ['revoke', '--jti', 'j', '--sub', 's'], /exactly one of --jti and --sub/],
    ['neither --sub nor --uri', ['kick'], /exactly one of --sub and --uri/],
    ['a flag another subcommand takes', ['revoke', '--uri', 'pcp://a/b'], /--uri/],
    ['static-brewer without --topic', ['static-brewer', '--brewer', '{"uuid":"b"}'], /missing --topic/],
    ['--brewer that is not JSON', ['static-brewer', '--topic', 't', '--brewer', '{uuid'], /--brewer is not valid JSON/],
    ['--brewer that is not an object', ['static-brewer', '--topic', 't', '--brewer', '[1]'], /--brewer must be a JSON object/],
    ['--requeue with --delete', ['discarded', '--requeue', 'a', '--delete', 'b'], /at most one of --requeue and --delete/],
    ['a --timeout-ms that is no number', ['sessions', '--timeout-ms', 'soon'], /--timeout-ms must be a whole number/],
    ['a --url that is not http', ['sessions', '--url', 'ftp://x'], /--url must be http/],
  ];

  // Concurrent: each is a separate process and no server; together they would take seconds.
  it.concurrent.each(usageErrors)('exits 2 with one line for %s', async (_name, args, message) => {
    const result = await runCli(['admin', ...args], { PUBKEEPER_TOKEN: 'x.y.z' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits 2 without a token', async () => {
    const result = await runCli(['admin', 'sessions', '--url', 'http://127.0.0.1:9']);
    expect(result).toMatchObject({ code: 2, stderr: 'pubkeeper admin: missing --token JWT (or env PUBKEEPER_TOKEN)\n' });
  });

  it('--help prints the usage of every subcommand and exits 0', async () => {
    const help = await runCli(['admin', '--help']);
    expect(help.code).toBe(0);
    for (const sub of ['revoke', 'unrevoke', 'kick', 'static-brewer', 'sessions', 'topics', 'commands', 'discarded']) expect(help.stdout).toContain(`  ${sub} `);
    expect(help.stdout).toContain('PUBKEEPER_TOKEN');
    expect((await runCli(['--help'])).stdout).toContain('admin');
  });

  it('a token without the admin right exits 1 with the server\'s 403, and nothing is done', async () => {
    const t = await startTestServer();
    const bob = await t.client('bob', ['all']);
    const refused = await admin(t, ['kick', '--sub', 'bob'], t.keys.mint('bob', ['brew:**']));
    expect(refused).toMatchObject({ code: 1, stdout: '', stderr: 'pubkeeper admin: 403: the token has no admin right\n' });
    const bad = await admin(t, ['sessions'], 'not.a.token');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^pubkeeper admin: 401: .+\n$/);
    // Refused at the edge: nothing was queued, and bob is still connected.
    expect(await admin(t, ['commands', '--json'])).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(bob.closed).toBeUndefined();
  });

  it('an unreachable server exits 1 with "cannot reach"', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await runCli(['admin', 'topics', '--url', url], { PUBKEEPER_TOKEN: 'x.y.z' });
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: `pubkeeper admin: cannot reach ${url}: ECONNREFUSED\n` });
  });

  it('takes --url and --token from PUBKEEPER_URL and PUBKEEPER_TOKEN', async () => {
    const t = await startTestServer();
    const result = await runCli(['admin', 'sessions', '--json'], { PUBKEEPER_URL: `http://127.0.0.1:${t.port}`, PUBKEEPER_TOKEN: t.keys.mint('root', ['all']) });
    expect(result).toMatchObject({ code: 0, stdout: '[]\n' });
  });
});
