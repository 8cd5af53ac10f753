import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PubkeeperClient } from '../../src/client/pubkeeperClient.js';
import { nextFrame } from '../helpers/frames.js';
import { runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/keys.js';

const decode = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;

describe('CLI', () => {
  it('serve generates dev keys in an empty --keys dir, says so, listens on the real port, and a minted token works', async () => {
    const dir = join(tempDir(), 'keys');
    mkdirSync(dir);
    const server = await startCli(['--port', '0', '--host', '127.0.0.1', '--keys', dir]);
    expect(server.port).toBeGreaterThan(0);
    expect(server.logs.some((l) => String(l.msg).includes('generated a development key pair'))).toBe(true);
    expect(server.logs.some((l) => String(l.msg).includes('pubkeeper token'))).toBe(true);
    expect(statSync(join(dir, 'rs256.key')).mode & 0o777).toBe(0o600);

    const minted = await runCli(['token', '--keys', dir, '--sub', 'cli-user', '--right', 'brew:a.*', '--right', '{"topic":"a.**","read":true,"write":false}', '--ttl', '1h', '--jti', 'j-1']);
    expect(minted.code).toBe(0);
    expect(minted.stdout.trim().split('\n')).toHaveLength(1);
    const claims = decode(minted.stdout.trim());
    expect(claims).toMatchObject({ sub: 'cli-user', iss: 'pubkeeper', aud: 'pubkeeper', jti: 'j-1', rights: ['brew:a.*', { topic: 'a.**', read: true, write: false }] });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);

    const client = await PubkeeperClient.connect(`ws://127.0.0.1:${server.port}/ws`);
    expect(await client.authenticate(minted.stdout.trim())).toBe(true);
    const snapshot = nextFrame(client, (f) => f[0] === 12);
    await client.registerBrewer('a.b', { uuid: 'u' });
    await client.subscribe('a.*');
    expect((await snapshot)[1]).toEqual({ topic: 'a.b', brewer: { uuid: 'u' } });
    await client.close();

    // The health endpoint answers while serving.
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('SIGTERM drains: sessions close 1001 and the process exits 0', async () => {
    const dir = tempDir();
    await runCli(['keygen', '--dir', dir, '--alg', 'ES256']);
    const server = await startCli(['--port', '0', '--host', '127.0.0.1', '--keys', dir]);
    const token = (await runCli(['token', '--keys', dir, '--sub', 'x', '--right', 'all'])).stdout.trim();
    const client = await PubkeeperClient.connect(`ws://127.0.0.1:${server.port}/ws`);
    await client.authenticate(token);
    const closedWith = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    expect(await closedWith).toBe(1001);
    expect(await server.exited).toBe(0);
  });

  it('flags come from PUBKEEPER_* env and a --config file, flags winning', async () => {
    const dir = tempDir();
    await runCli(['keygen', '--dir', dir, '--alg', 'HS256']);
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ port: 1, host: '127.0.0.1', logLevel: 'debug' }));
    const server = await startCli(['--config', config, '--port', '0'], { PUBKEEPER_KEYS: dir, PUBKEEPER_LOG_LEVEL: 'info' });
    expect(server.port).toBeGreaterThan(1);
    expect(server.logs.every((l) => Number(l.level) >= 30)).toBe(true);
  });

  it('keygen writes each algorithm\'s files with private ones 0600, and refuses to overwrite', async () => {
    const dir = tempDir();
    for (const alg of ['RS256', 'ES256', 'HS256']) expect((await runCli(['keygen', '--dir', dir, '--alg', alg])).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['es256.key', 'es256.pub', 'hs256.secret', 'rs256.key', 'rs256.pub']);
    for (const f of ['es256.key', 'hs256.secret', 'rs256.key']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const again = await runCli(['keygen', '--dir', dir, '--alg', 'ES256']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/overwrite/);
    // Several signing keys: token needs --alg.
    expect((await runCli(['token', '--keys', dir, '--sub', 'a', '--right', 'all'])).code).toBe(2);
    expect((await runCli(['token', '--keys', dir, '--sub', 'a', '--right', 'all', '--alg', 'HS256'])).code).toBe(0);
  });

  const failures: [string, string[], RegExp, NodeJS.ProcessEnv?][] = [
    ['an unknown command', ['frobnicate'], /unknown command/],
    ['no command', [], /usage/],
    ['an unknown serve flag', ['serve', '--bogus', '1'], /bogus/],
    ['a bad port', ['serve', '--port', 'abc'], /port/],
    ['an unknown keygen algorithm', ['keygen', '--alg', 'PS512'], /algorithm/],
    ['token without --sub', ['token', '--keys', '/nonexistent'], /--sub/],
    ['token with a missing key dir', ['token', '--keys', '/nonexistent/keys', '--sub', 'a', '--right', 'all'], /key directory/],
    ['token with a bad ttl', ['token', '--sub', 'a', '--right', 'all', '--ttl', '3w'], /TTL|ttl/],
    ['token with a bad right', ['token', '--sub', 'a', '--right', 'fly:a'], /right/],
    ['token with invalid JSON right', ['token', '--sub', 'a', '--right', '{nope'], /JSON/],
    ['an unreadable config', ['serve', '--config', '/nonexistent/config.json'], /config/],
    ['a cluster URL that is not redis://', ['serve', '--cluster', 'http://127.0.0.1:6379'], /cluster.*redis:\/\//],
    ['a cluster prefix with a space', ['serve', '--cluster', 'redis://127.0.0.1:1', '--cluster-prefix', 'a b'], /cluster-?[pP]refix/],
    ['a lease too short to renew', ['serve', '--cluster', 'redis://127.0.0.1:1', '--cluster-lease-ms', '10'], /cluster-?[lL]ease/],
    ['a node id with a slash', ['serve', '--node-id', 'a/b'], /node-?[iI]d/],
    ['a --keys directory that does not exist (only the default is made)', ['serve', '--keys', '/nonexistent/keys', '--port', '0'], /\/nonexistent\/keys does not exist/],
    ['an empty port', ['serve', '--port', ''], /port/],
    ['token without a right', ['token', '--sub', 'a'], /--right/],
    ['token with --no-rights and a right', ['token', '--sub', 'a', '--right', 'all', '--no-rights'], /together/],
  ];

  for (const [what, args, message, env = {}] of failures) {
    it(`${what}: one line on stderr, exit 2`, async () => {
      const dir = tempDir();
      await runCli(['keygen', '--dir', dir, '--alg', 'ES256']);
      const result = await runCli(args, { PUBKEEPER_KEYS: dir, ...env });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    });
  }

  it('serve warns about a PUBKEEPER_* variable that no command reads (not the clients\' URL and token), and serves', async () => {
    const dir = tempDir();
    await runCli(['keygen', '--dir', dir, '--alg', 'ES256']);
    const server = await startCli(['--port', '0', '--host', '127.0.0.1'], { PUBKEEPER_KEYS: dir, PUBKEEPER_PROT: '9000', PUBKEEPER_TOKEN: 'x', PUBKEEPER_URL: 'http://127.0.0.1:1' });
    expect(server.logs.find((l) => l.variable === 'PUBKEEPER_PROT')).toMatchObject({ level: 40, msg: expect.stringMatching(/unknown PUBKEEPER_\* environment variable/) });
    expect(server.logs.some((l) => 'variable' in l && l.variable !== 'PUBKEEPER_PROT')).toBe(false);
  });

  it('a config file with an unknown key or invalid JSON: exit 2', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"prot": 1}');
    const r1 = await runCli(['serve', '--config', bad, '--keys', dir]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/unknown config key "prot"/);
    writeFileSync(bad, '{oops');
    const r2 = await runCli(['serve', '--config', bad, '--keys', dir]);
    expect(r2.code).toBe(2);
    expect(existsSync(join(dir, 'rs256.key'))).toBe(false); // failed before touching keys
  });
});
