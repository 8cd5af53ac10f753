// `pubkeeper watch`, `pubkeeper token --check` and `pubkeeper --version` (CONTRACT §2), run as
// child processes against a real server.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { tempDir, tempKeys } from '../helpers/keys.js';
import { startTestServer } from '../helpers/server.js';

/** `pubkeeper watch …` as a child process: its stdout lines as they come, and how it ended. */
function startWatch(args: string[], env: NodeJS.ProcessEnv = {}) {
  // No PUBKEEPER_* from the developer's shell: only what the test gives.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PUBKEEPER_')));
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  const waiters: { pred: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.splice(0).filter((w) => (w.pred(line) ? (w.resolve(line), false) : true))) waiters.push(w);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** The next stdout line matching `pred` (already printed ones count). */
  const line = (pred: (line: string) => boolean, ms = 5000): Promise<string> => {
    const seen = lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such line; stdout: ${lines.join(' | ')}; stderr: ${stderr}`)), ms);
      waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  };
  return { child, lines, line, exited, stderr: () => stderr };
}

describe('pubkeeper watch', () => {
  it('prints one line per brewer coming and going, from the snapshot on, and exits 0 on SIGINT', async () => {
    const t = await startTestServer();
    const brewer = await t.client('brewer');
    await brewer.registerBrewer('w.before', { uuid: 'b1', port: 1 });
    const watch = startWatch(['w.*', '--url', `ws://127.0.0.1:${t.port}`, '--token', t.keys.mint('watcher')]);
    expect(await watch.line((l) => l.includes('w.before'))).toBe('+ w.before {"uuid":"b1","port":1}');
    await brewer.registerBrewer('w.after', { uuid: 'b2' });
    expect(await watch.line((l) => l.includes('w.after'))).toBe('+ w.after {"uuid":"b2"}');
    await brewer.unregisterBrewer('w.before', 'b1');
    expect(await watch.line((l) => l.startsWith('-'))).toBe('- w.before {"uuid":"b1","port":1}');
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
    expect(watch.stderr()).toBe('');
  });

  it('--json prints one object per line; the URL and token may come from PUBKEEPER_URL and PUBKEEPER_TOKEN', async () => {
    const t = await startTestServer();
    const watch = startWatch(['**', '--json'], { PUBKEEPER_URL: `http://127.0.0.1:${t.port}/`, PUBKEEPER_TOKEN: t.keys.mint('watcher') });
    const brewer = await t.client('brewer');
    // Registered before or after the watcher subscribes: it comes in the snapshot or live.
    await brewer.registerBrewer('j.one', { uuid: 'j1' });
    expect(JSON.parse(await watch.line((l) => l.includes('j1')))).toEqual({ event: 'notify', topic: 'j.one', brewer: { uuid: 'j1' } });
    await brewer.close();
    expect(JSON.parse(await watch.line((l) => l.includes('removed')))).toEqual({ event: 'removed', topic: 'j.one', brewer: { uuid: 'j1' } });
    watch.child.kill('SIGTERM');
    expect(await watch.exited).toBe(0);
  });

  it('a refused token, a pattern without the right, an unreachable server, a server going away: one line on stderr, exit 1', async () => {
    const t = await startTestServer();
    const url = `ws://127.0.0.1:${t.port}`;
    const refused = startWatch(['**', '--url', url, '--token', 'not-a-token']);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/^pubkeeper watch: token refused: .+\n$/);
    const noRight = startWatch(['secret.*', '--url', url, '--token', t.keys.mint('limited', ['subscribe:public.*'])]);
    expect(await noRight.exited).toBe(1);
    expect(noRight.stderr()).toMatch(/^pubkeeper watch: refused: Lack Permissions.*\n$/);
    const unreachable = startWatch(['**', '--url', 'ws://127.0.0.1:1', '--token', t.keys.mint('x')]);
    expect(await unreachable.exited).toBe(1);
    expect(unreachable.stderr()).toMatch(/^pubkeeper watch: cannot reach ws:\/\/127\.0\.0\.1:1\/ws: .+\n$/);
    const watching = startWatch(['**', '--url', url, '--token', t.keys.mint('x')]);
    const brewer = await t.client('brewer');
    await brewer.registerBrewer('gone.soon', { uuid: 'g' });
    await watching.line((l) => l.includes('gone.soon'));
    await t.server.drain();
    expect(await watching.exited).toBe(1);
    expect(watching.stderr()).toMatch(/^pubkeeper watch: the server closed the connection \(1001 Server shutting down\.\)\n$/);
  });

  it('a missing pattern or token is a usage error: exit 2', async () => {
    expect((await runCli(['watch', '--token', 'x'])).code).toBe(2);
    const noToken = await runCli(['watch', 'a.*']);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/--token/);
  });
});

describe('pubkeeper token --check and --version', () => {
  it('--check prints the claims of a token the keys accept (exit 0), and one line saying why for one they refuse (exit 1)', async () => {
    const keys = tempKeys();
    const token = keys.mint('alice', ['subscribe:a.*'], { jti: 'j-7' });
    const good = await runCli(['token', '--check', token, '--keys', keys.dir]);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ sub: 'alice', rights: ['subscribe:a.*'], jti: 'j-7', iss: 'pubkeeper', aud: 'pubkeeper' });
    const other = tempDir();
    await runCli(['keygen', '--dir', other, '--alg', 'ES256']);
    const bad = await runCli(['token', '--check', token, '--keys', other]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/refused/);
    const expired = await runCli(['token', '--check', keys.mint('bob', ['all'], { ttlSeconds: 1, nowSeconds: Math.floor(Date.now() / 1000) - 100 }), '--keys', keys.dir]);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/expired/i);
  });

  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
