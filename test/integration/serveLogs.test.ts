// What `pubkeeper serve` logs (issue 13): JSON for a pipe, readable lines for people
// (`--log-format`), session lifecycle and every refused authentication at info, never a token.
// The server runs as a child process, as a user runs it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import WebSocket from 'ws';
import { PubkeeperClient } from '../../src/client/pubkeeperClient.js';
import { formattedLog, resolveLogFormat } from '../../src/cli/logFormat.js';
import { BIN, ROOT, startCli } from '../helpers/cli.js';
import { tempDir, tempKeys } from '../helpers/keys.js';
import { baseClaims, now, signedWith } from '../helpers/tokens.js';

type Entry = Record<string, unknown>;

/** The status of a PCP upgrade with `token`, refused before any WebSocket exists. */
async function pcpUpgradeStatus(port: number, token: string): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/pcp/v2.0/agent`, { headers: { authorization: `Bearer ${token}` } });
  ws.on('error', () => undefined);
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode?: number }];
  ws.terminate();
  return res.statusCode ?? 0;
}

/** The one log entry `pred` picks, once it has been written (a bound, not a sleep, on failure). */
async function oneEntry(logs: Entry[], pred: (e: Entry) => boolean): Promise<Entry> {
  await vi.waitFor(() => expect(logs.filter(pred)).toHaveLength(1), { timeout: 5000 });
  return logs.find(pred)!;
}

/** Every token part long enough to be recognisable: none may appear in the output. */
const tokenParts = (token: string): string[] => token.split('.').filter((p) => p.length > 10);

describe('serve logs', () => {
  it('a pipe gets JSON lines; sessions open, authenticate and close at info with their sub; a refused token on /ws and on a PCP upgrade is one info line each with the address and reason; no token anywhere', async () => {
    const keys = tempKeys();
    // startCli parses every stdout line as JSON: a line that is not would fail the test.
    const server = await startCli(['--port', '0', '--host', '127.0.0.1', '--keys', keys.dir]);
    const base = `ws://127.0.0.1:${server.port}`;
    const good = keys.mint('alice');
    const expired = signedWith(keys.dir, baseClaims({ sub: 'mallory', exp: now() - 5 }));
    const forged = `${good.slice(0, -8)}AAAAAAAA`;

    const alice = await PubkeeperClient.connect(`${base}/ws`);
    expect(await alice.authenticate(good)).toBe(true);
    await alice.close();
    const refusedWs = await PubkeeperClient.connect(`${base}/ws`);
    onTestFinished(() => refusedWs.socket.terminate());
    await expect(refusedWs.authenticate(expired)).rejects.toThrow('token expired');
    expect(await pcpUpgradeStatus(server.port, forged)).toBe(401);

    const { logs } = server;
    const authenticated = await oneEntry(logs, (e) => e.msg === 'session authenticated');
    expect(authenticated).toMatchObject({ level: 30, sub: 'alice', remoteAddress: '127.0.0.1' });
    const closed = await oneEntry(logs, (e) => e.msg === 'session closed' && e.sub === 'alice');
    expect(closed).toMatchObject({ level: 30, session: authenticated.session, code: 1000, durationMs: expect.any(Number) });

    const wsRefusal = await oneEntry(logs, (e) => e.msg === 'authentication refused' && e.surface === 'ws');
    expect(wsRefusal).toMatchObject({ level: 30, reason: 'expired', remoteAddress: '127.0.0.1', dialect: 'pubkeeper-json' });
    const pcpRefusal = await oneEntry(logs, (e) => e.msg === 'authentication refused' && e.surface === 'pcp');
    expect(pcpRefusal).toMatchObject({ level: 30, reason: 'bad_signature', remoteAddress: '127.0.0.1' });

    // stdout is one ordered stream: the later lines above were read, so the open lines were too.
    const opened = logs.filter((e) => e.msg === 'session opened');
    expect(opened).toHaveLength(2);
    for (const e of opened) expect(e).toMatchObject({ level: 30, dialect: 'pubkeeper-json', remoteAddress: '127.0.0.1', session: expect.any(String) });
    expect(opened.map((e) => e.session)).toContain(authenticated.session);

    const output = JSON.stringify(logs);
    for (const token of [good, expired, forged]) for (const part of tokenParts(token)) expect(output).not.toContain(part);
  });

  it('--log-format pretty: human lines, not JSON, with the refusal\'s reason and address', async () => {
    const keys = tempKeys();
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PUBKEEPER_')));
    const args = [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--keys', keys.dir, '--data-dir', tempDir(), '--log-format', 'pretty'];
    const child = spawn(process.execPath, args, { cwd: ROOT, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      for (const w of waiters.splice(0)) {
        const match = w.pattern.exec(stdout);
        if (match) w.resolve(match);
        else waiters.push(w);
      }
    });
    const line = (pattern: RegExp): Promise<RegExpMatchArray> =>
      new Promise((resolve) => {
        const match = pattern.exec(stdout);
        if (match) resolve(match);
        else waiters.push({ pattern, resolve });
      });
    const port = Number((await line(/listening on 127\.0\.0\.1:(\d+)/))[1]);
    const forged = `${keys.mint('alice').slice(0, -8)}AAAAAAAA`;
    expect(await pcpUpgradeStatus(port, forged)).toBe(401);
    const refusal = (await line(/^.*authentication refused.*$/m))[0];
    expect(refusal).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: authentication refused /);
    expect(refusal).toContain('"reason":"bad_signature"');
    expect(refusal).toContain('"remoteAddress":"127.0.0.1"');
    const lines = stdout.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(() => JSON.parse(l) as unknown, l).toThrow();
    // No colour codes: stdout is a pipe.
    expect(stdout).not.toContain('\u001b[');
    for (const part of tokenParts(forged)) expect(stdout).not.toContain(part);
    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0]).toBe(0);
  });

  it('--log-format auto is pretty on a terminal and JSON otherwise; json and pretty are what they say', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('auto', undefined)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('the pretty formatter writes one human line per entry into the stream it is given (the bounded stdout writer in serve), colours only on a terminal', async () => {
    const written: string[] = [];
    const sink = { write: (line: string) => void written.push(line) };
    const plain = pino({ level: 'info' }, await formattedLog('pretty', sink, false));
    plain.info({ sub: 'alice', remoteAddress: '127.0.0.1' }, 'session opened');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: session opened \{"sub":"alice","remoteAddress":"127\.0\.0\.1"\}\n$/);
    const json: string[] = [];
    const same = new Writable({ write: (chunk: Buffer, _e, done) => (json.push(chunk.toString()), done()) });
    expect(await formattedLog('json', same, true)).toBe(same);
  });
});
