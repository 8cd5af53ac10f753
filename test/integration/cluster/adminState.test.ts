import { mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PubkeeperClient } from '../../../src/client/pubkeeperClient.js';
import { run } from '../../helpers/admin.js';
import { startCluster, type ClusterNode, type TestCluster } from '../../helpers/cluster.js';
import { recordFrames, untilFrames } from '../../helpers/frames.js';
import { tempDir } from '../../helpers/keys.js';
import type { TestServer } from '../../helpers/server.js';

const adminOf = (cluster: TestCluster, node: ClusterNode): TestServer => ({ port: node.port, keys: cluster.keys }) as unknown as TestServer;

/** A data dir whose state files hold `state` (as a node of an earlier run left them). */
function dataDir(state: { revocations?: object; staticBrewers?: object } = {}): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'state'), { recursive: true });
  if (state.revocations) writeFileSync(join(dir, 'state', 'revocations.json'), JSON.stringify(state.revocations));
  if (state.staticBrewers) writeFileSync(join(dir, 'state', 'static-brewers.json'), JSON.stringify(state.staticBrewers));
  return dir;
}

/** Resolves once the file parses to something `pred` accepts, watching the directory for writes. */
function fileHolds(path: string, pred: (value: Record<string, unknown>) => boolean, ms = 5000): Promise<Record<string, unknown>> {
  const read = (): Record<string, unknown> | undefined => {
    try {
      const value = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      return pred(value) ? value : undefined;
    } catch {
      return undefined;
    }
  };
  return new Promise((resolve, reject) => {
    const watcher = watch(join(path, '..'), () => {
      const value = read();
      if (value) finish(() => resolve(value));
    });
    const timer = setTimeout(() => finish(() => reject(new Error(`${path} never held what was expected`))), ms);
    const finish = (then: () => void): void => {
      clearTimeout(timer);
      watcher.close();
      then();
    };
    const now = read();
    if (now) finish(() => resolve(now));
  });
}

describe('cluster: the admin state is the cluster\'s, and each node\'s data dir follows it', () => {
  it('a node joining a running cluster takes the shared revocations and static brewers, not the older ones in its data dir', async () => {
    const cluster = await startCluster(1);
    const [a] = cluster.nodes as [ClusterNode];
    const stale = dataDir({
      revocations: { jtis: [], subs: ['lifted-since'] },
      staticBrewers: { brewers: [{ topic: 'static.gone', brewer: { uuid: 'gone-since' } }] },
    });
    const late = await cluster.startNode('late', ['--data-dir', stale]);
    const watcher = await a.client('watcher');
    const seen = recordFrames(watcher);
    await watcher.subscribe('static.*');
    // A change made through the late node after its start: once A has it, A has all the late node did before.
    const witness = await late.client('witness');
    await witness.registerBrewer('static.witness', { uuid: 'witness' });
    await untilFrames(watcher, () => seen.length > 0);
    expect(seen.map(([, p]) => p.topic)).toEqual(['static.witness']);
    const lifted = await PubkeeperClient.connect(`${late.base}/ws`);
    expect(await lifted.authenticate(cluster.keys.mint('lifted-since'))).toBe(true);
    lifted.socket.terminate();
    // And its files now hold the cluster's state.
    await fileHolds(join(stale, 'state', 'revocations.json'), (v) => Array.isArray(v.subs) && v.subs.length === 0);
    await fileHolds(join(stale, 'state', 'static-brewers.json'), (v) => Array.isArray(v.brewers) && v.brewers.length === 0);
  });

  it('the first node of an empty Redis seeds the cluster from its data dir; another node\'s files follow every change made through any node', async () => {
    const seedDir = dataDir({
      revocations: { jtis: [], subs: ['banned'] },
      staticBrewers: { brewers: [{ topic: 'static.db', brewer: { uuid: 'db' } }] },
    });
    const cluster = await startCluster(0);
    const a = await cluster.startNode('a', ['--data-dir', seedDir]);
    const bDir = dataDir();
    const b = await cluster.startNode('b', ['--data-dir', bDir]);
    const watcher = await b.client('watcher');
    const seen = recordFrames(watcher);
    await watcher.subscribe('static.*');
    expect(seen.map(([, p]) => p.topic)).toEqual(['static.db']);
    const banned = await PubkeeperClient.connect(`${b.base}/ws`);
    await expect(banned.authenticate(cluster.keys.mint('banned'))).rejects.toThrow();
    banned.socket.terminate();
    await fileHolds(join(bDir, 'state', 'revocations.json'), (v) => JSON.stringify(v.subs) === '["banned"]');

    await run(adminOf(cluster, a), 'register static brewer', { topic: 'static.cache', brewer: { uuid: 'cache' } });
    await run(adminOf(cluster, a), 'unrevoke token', { sub: 'banned' });
    await fileHolds(join(bDir, 'state', 'static-brewers.json'), (v) => (v.brewers as { topic: string }[]).map((x) => x.topic).sort().join() === 'static.cache,static.db');
    await fileHolds(join(bDir, 'state', 'revocations.json'), (v) => JSON.stringify(v.subs) === '[]');
  });
});
