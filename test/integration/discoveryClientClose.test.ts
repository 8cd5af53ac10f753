// DiscoveryClient shutdown against a real server: close() unregisters before closing 1000, and the
// compiled examples (subscriber, brewer) come and go cleanly.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { discovery, FAST } from '../helpers/discovery.js';
import { recordFrames } from '../helpers/frames.js';
import { startTestServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('DiscoveryClient', () => {
  it('close() unregisters its brewers before the session ends, closes 1000 and stops reconnecting', async () => {
    const t = await startTestServer();
    const watcher = await t.client('watcher', ['subscribe:**']);
    await watcher.subscribe('c.*');
    const frames = recordFrames(watcher);
    const client = discovery({ url: t.url, token: t.keys.mint('closer', ['brew:c.*']), backoff: FAST, random: () => 0 });
    await client.registerBrewer('c.one', { uuid: 'one' });
    await client.registerBrewer('c.two', { uuid: 'two' });
    const reconnecting: unknown[] = [];
    client.on('reconnecting', (e) => reconnecting.push(e));

    // What the server still holds at the moment the session ends tells who removed the brewers.
    const ended = new Promise<{ code: number; left: number }>((resolve) => {
      t.server.hub.on('sessionEnded', (session, code) => {
        if (session.sub !== 'closer') return;
        const registry = t.server.hub.registry;
        resolve({ code, left: [registry.get('c.one', 'one'), registry.get('c.two', 'two')].filter(Boolean).length });
      });
    });
    await client.close();
    expect(await ended).toEqual({ code: 1000, left: 0 });
    await watcher.sync();
    const removed = frames.filter(([packet]) => packet === Packet.BREWER_REMOVED).map(([, p]) => p);
    expect(removed).toEqual([
      { topic: 'c.one', brewer: { uuid: 'one' } },
      { topic: 'c.two', brewer: { uuid: 'two' } },
    ]);
    // With zero jitter a retry would already be under way; none was even scheduled.
    expect(reconnecting).toEqual([]);
    expect([...t.server.hub.sessions].filter((s) => s.sub === 'closer')).toEqual([]);
    expect(client.connected).toBe(false);
  });

  it('the examples run: the subscriber prints the brewer coming and, after SIGTERM to the brewer, going', async () => {
    const t = await startTestServer();
    const subscriber = runExample('subscriber.js', {
      PUBKEEPER_URL: t.url,
      PUBKEEPER_TOKEN: t.keys.mint('dashboard', ['subscribe:example.**']),
      PUBKEEPER_PATTERN: 'example.**',
    });
    const brewer = runExample('brewer.js', {
      PUBKEEPER_URL: t.url,
      PUBKEEPER_TOKEN: t.keys.mint('thermometer', ['brew:example.*']),
      PUBKEEPER_TOPIC: 'example.temperature',
      BREWER_UUID: 'example-1',
      BREWER_HOST: '10.0.0.7',
      BREWER_PORT: '9899',
    });
    const brewerObject = { uuid: 'example-1', hostname: '10.0.0.7', port: 9899, protocol: 'udp' };
    expect(await subscriber.line((l) => l.event === 'added')).toEqual({ event: 'added', topic: 'example.temperature', brewer: brewerObject });
    await brewer.line((l) => l.event === 'registered');
    brewer.child.kill('SIGTERM');
    expect(await subscriber.line((l) => l.event === 'removed')).toEqual({ event: 'removed', topic: 'example.temperature', brewer: brewerObject });
    expect(await brewer.exit).toEqual({ code: 0, signal: null });
    expect(brewer.lines.map((l) => l.event)).toEqual(['registered', 'closed']);
    subscriber.child.kill('SIGTERM');
    expect(await subscriber.exit).toEqual({ code: 0, signal: null });
    expect(subscriber.lines.map((l) => l.event)).toEqual(['added', 'removed']);
  });
});

interface Example {
  child: ReturnType<typeof spawn>;
  /** Every JSON line printed on stdout so far. */
  lines: Record<string, unknown>[];
  /** The first line (seen or still to come) matching `pred`. */
  line(pred: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a compiled example (dist/examples, built by the suite's global setup), killed when the test ends. */
function runExample(file: string, env: Record<string, string>): Example {
  const child = spawn(process.execPath, [`${ROOT}dist/examples/${file}`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push(JSON.parse(text) as Record<string, unknown>);
    for (const waiter of waiters) waiter();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    exit,
    line: (pred, ms = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find(pred);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${file}: no matching line in ${ms} ms; stdout ${JSON.stringify(lines)}; stderr ${stderr}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}
