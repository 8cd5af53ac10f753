import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PubkeeperClient } from '../../src/client/pubkeeperClient.js';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { BIN, ROOT, runCli, startCli } from '../helpers/cli.js';
import { nextFrame } from '../helpers/frames.js';
import { tempDir } from '../helpers/keys.js';
import { startRedis } from '../helpers/redisServer.js';
import { testCerts } from '../helpers/tlsCerts.js';

// There is no Docker daemon or systemd on the machines these tests run on: what the deploy files
// say is checked, and every command they run is run here natively, with their paths mapped onto
// the checkout (the image's /app, the unit's /opt/pubkeeper) and onto temp dirs (the volumes).

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerInstructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const space = line.indexOf(' ');
      return { op: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

/** Instructions split into stages at each FROM, the FROM first. */
function stages(instructions: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.op === 'FROM') out.push([]);
    out.at(-1)?.push(instruction);
  }
  return out;
}

const execForm = (args: string): string[] => JSON.parse(args.replace(/^CMD\s+/, '')) as string[];

async function runHealthcheck(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PUBKEEPER_')));
  const result = spawnSync(process.execPath, [join(ROOT, 'deploy/healthcheck.mjs')], { env: { ...clean, ...env }, encoding: 'utf8' });
  return { code: result.status, stderr: result.stderr };
}

describe('Dockerfile', () => {
  const instructions = dockerInstructions(read('Dockerfile'));
  const [build, runtime, ...more] = stages(instructions);

  it('builds in one stage and runs in a second one with the runtime dependencies only, as a non-root user', () => {
    expect(more).toHaveLength(0);
    expect(build?.[0]?.args).toMatch(/^node:20\S* AS build$/);
    expect(build?.map((i) => i.args)).toContain('npm run build');
    expect(runtime?.[0]?.args).toMatch(/^node:20\S* AS runtime$/);
    const runs = runtime?.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    expect(runs).toMatch(/npm ci --omit=dev/);
    expect(runtime?.filter((i) => i.op === 'COPY').map((i) => i.args)).toContain('--from=build /src/dist/src ./dist/src');
    const user = runtime?.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user?.split(':')[0]);
  });

  it('copies only files the repository has and .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('!'));
    for (const copy of instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        if (source === '.') continue;
        expect(existsSync(join(ROOT, source)), `${source} is copied but does not exist`).toBe(true);
        expect(ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `${source} is ignored`).toBe(false);
      }
    }
    // Nothing local and nothing secret goes into the build context.
    for (const path of ['node_modules', 'dist', 'data', '.git', 'keys/*']) expect(ignored).toContain(path);
  });

  it('runs the CLI it copied, and checks its health with the script it copied', () => {
    const entrypoint = execForm(runtime?.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]');
    expect(entrypoint).toEqual(['node', '/app/bin/pubkeeper.js']);
    expect(execForm(runtime?.find((i) => i.op === 'CMD')?.args ?? '[]')).toEqual(['serve']);
    const healthcheck = runtime?.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD')));
    expect(command).toEqual(['node', '/app/deploy/healthcheck.mjs']);
    // /app holds what the COPYs put there: the CLI's entry loads the build they copied.
    const copied = runtime?.filter((i) => i.op === 'COPY').map((i) => i.args.split(/\s+/).at(-1)) ?? [];
    expect(copied).toEqual(expect.arrayContaining(['./dist/src', './bin', './deploy/healthcheck.mjs']));
    expect(readFileSync(BIN, 'utf8')).toContain("from '../dist/src/cli/main.js'");
  });
});

describe('deploy/healthcheck.mjs', () => {
  it('exits 0 while the server answers /healthz, and 1 with a reason once nothing listens', async () => {
    const server = await startCli(['--host', '127.0.0.1', '--port', '0', '--keys', tempKeysDir()]);
    const env = { PUBKEEPER_PORT: String(server.port), PUBKEEPER_HOST: '127.0.0.1' };
    expect(await runHealthcheck(env)).toEqual({ code: 0, stderr: '' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const after = await runHealthcheck(env);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^healthcheck: .*ECONNREFUSED/);
  });
});

describe('deploy/healthcheck.mjs over TLS', () => {
  it('follows PUBKEEPER_TLS_CERT: https to a TLS server, whose certificate it need not trust', async () => {
    const certs = testCerts();
    const tls = { PUBKEEPER_TLS_CERT: certs.server.certFile, PUBKEEPER_TLS_KEY: certs.server.keyFile };
    const server = await startCli(['--host', '127.0.0.1', '--port', '0', '--keys', tempKeysDir()], tls);
    const env = { ...tls, PUBKEEPER_PORT: String(server.port), PUBKEEPER_HOST: '127.0.0.1' };
    expect(await runHealthcheck(env)).toEqual({ code: 0, stderr: '' });
    // Plain HTTP to the TLS port gets no answer: without the variable the check fails.
    const plain = await runHealthcheck({ PUBKEEPER_PORT: String(server.port), PUBKEEPER_HOST: '127.0.0.1' });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^healthcheck: /);
  });
});

/** A directory with a key pair made by the CLI, as an operator would. */
function tempKeysDir(): string {
  const dir = join(tempDir(), 'keys');
  execFileSync(process.execPath, [BIN, 'keygen', '--dir', dir]);
  return dir;
}

interface ComposeService {
  build?: string;
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
  const services = compose.services;
  const nodes = Object.entries(services).filter(([, s]) => s.environment?.PUBKEEPER_CLUSTER !== undefined);

  it('runs three cluster nodes on one Redis, with one set of keys made once', () => {
    expect(nodes.map(([name]) => name)).toEqual(['node1', 'node2', 'node3']);
    expect(services.redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    const ids = new Set<string>();
    for (const [name, node] of nodes) {
      expect(node.build, name).toBe('.');
      expect(node.environment?.PUBKEEPER_CLUSTER, name).toBe('redis://redis:6379');
      ids.add(node.environment?.PUBKEEPER_NODE_ID ?? '');
      expect(node.volumes, name).toEqual(['keys:/var/lib/pubkeeper/keys:ro']);
      expect(node.depends_on, name).toEqual({ redis: { condition: 'service_healthy' }, keys: { condition: 'service_completed_successfully' } });
    }
    expect(ids.size).toBe(3);
    expect(services.keys?.volumes).toEqual(['keys:/keys']);
  });

  it('as run here: the keys service makes keys once, and the nodes share a registry through Redis', { timeout: 30000 }, async () => {
    // The keys service's script, with the image's paths mapped onto the checkout and a temp volume.
    const keysVolume = join(tempDir(), 'keys');
    mkdirSync(keysVolume);
    const [entry, script] = [services.keys?.entrypoint ?? [], services.keys?.command?.[0] ?? ''];
    expect(entry).toEqual(['sh', '-c']);
    const local = script
      .replaceAll('$$', '$')
      .replaceAll('/keys', keysVolume)
      .replaceAll('node /app/bin/pubkeeper.js', `"${process.execPath}" "${BIN}"`)
      .replace(/ && chown -R node:node [^;\s]+/, '');
    execFileSync('sh', ['-c', local]);
    const made = readdirSync(keysVolume).sort();
    expect(made).toEqual(['rs256.key', 'rs256.pub']);
    const key = readFileSync(join(keysVolume, 'rs256.key'));
    expect(execFileSync('sh', ['-c', local], { encoding: 'utf8' })).toBe('keys present\n');
    expect(readFileSync(join(keysVolume, 'rs256.key')).equals(key)).toBe(true);

    // Each node: the image's working directory with the keys volume at ./keys, and the compose
    // environment with the Redis service's host name pointed at a Redis of the test's own.
    const redis = await startRedis();
    const running = [];
    for (const [, node] of nodes) {
      const workDir = tempDir();
      symlinkSync(keysVolume, join(workDir, 'keys'));
      const env = { ...node.environment, PUBKEEPER_CLUSTER: node.environment?.PUBKEEPER_CLUSTER?.replace('redis://redis:6379', redis.url) };
      running.push(await startCli(['--host', '127.0.0.1', '--port', '0'], env, workDir));
    }
    // A token minted as the compose file's comment says: the CLI in a node's working directory.
    const minted = await runCli(['token', '--sub', 'ops', '--right', 'all'], {}, join(keysVolume, '..'));
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    const connect = async (port: number): Promise<PubkeeperClient> => {
      const client = await PubkeeperClient.connect(`ws://127.0.0.1:${port}/ws`);
      expect(await client.authenticate(token)).toBe(true);
      return client;
    };
    const [first, , last] = running;
    const patron = await connect(last?.port ?? 0);
    const brewer = await connect(first?.port ?? 0);
    try {
      await patron.subscribe('compose.*');
      const notified = nextFrame(patron, ([id]) => id === Packet.BREWER_NOTIFY);
      await brewer.registerBrewer('compose.up', { uuid: 'c0ffee00-0000-4000-8000-000000000001' });
      const [, payload] = await notified;
      expect(payload).toMatchObject({ topic: 'compose.up', brewer: { uuid: 'c0ffee00-0000-4000-8000-000000000001' } });
      const named = await Promise.all(
        running.map(async (r) => ((await (await fetch(`http://127.0.0.1:${r.port}/healthz`)).json()) as { cluster: { node: string } }).cluster),
      );
      // (How many nodes each one counts follows its lease scans: not asserted.)
      expect(named.map((c) => c.node)).toEqual(['node1', 'node2', 'node3']);
    } finally {
      patron.socket.terminate();
      brewer.socket.terminate();
    }
  });
});

describe('deploy/pubkeeper.service', () => {
  const unit = read('deploy/pubkeeper.service');
  const setting = (name: string): string | undefined => unit.match(new RegExp(`^${name}=(.*)$`, 'm'))?.[1];
  const hasAnalyzer = spawnSync('systemd-analyze', ['--version']).status === 0;

  it.skipIf(!hasAnalyzer)('passes systemd-analyze verify without a warning', () => {
    const result = spawnSync('systemd-analyze', ['verify', join(ROOT, 'deploy/pubkeeper.service')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs as its own user with hardening, and does not restart on a configuration error', () => {
    expect(setting('User')).toBe('pubkeeper');
    expect(setting('StateDirectory')).toBe('pubkeeper');
    expect(setting('WorkingDirectory')).toBe('/var/lib/pubkeeper');
    expect(setting('NoNewPrivileges')).toBe('yes');
    expect(setting('ProtectSystem')).toBe('strict');
    expect(setting('RestartPreventExitStatus')).toBe('2');
    expect(setting('KillSignal')).toBe('SIGTERM');
  });

  it('its ExecStart, run in its working directory, makes dev keys there, serves, and exits 0 on its KillSignal', async () => {
    const [node, bin, command, ...rest] = (setting('ExecStart') ?? '').split(' ');
    expect([node, bin, command]).toEqual(['/usr/bin/node', '/opt/pubkeeper/bin/pubkeeper.js', 'serve']);
    const workDir = tempDir();
    const server = await startCli([...rest, '--host', '127.0.0.1', '--port', '0'], {}, workDir);
    expect(readdirSync(join(workDir, 'keys')).length).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(health.status).toBe(200);
    server.child.kill(setting('KillSignal') as NodeJS.Signals);
    expect(await server.exited).toBe(0);
    // A stop must finish well within what systemd waits before SIGKILL.
    expect(Number(setting('TimeoutStopSec'))).toBeGreaterThan(4);
  });
});
