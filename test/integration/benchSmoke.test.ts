import { describe, expect, it } from 'vitest';
import { liveChildren } from '../../bench/children.js';
import { FULL, runFanout, type FanoutConfig } from '../../bench/suite/fanout.js';
import { clusterUnavailable, runCluster, type ClusterConfig } from '../../bench/suite/clusterRun.js';

// The benchmark suite (`npm run bench`, BENCHMARKS.md) never runs in `npm test`; this proves its
// machinery works against the built dist/ (the global setup builds it): our server and the raw ws
// baseline as child processes, 20 subscribers, one round of each phase; and the cluster bench's
// three nodes on a Redis of its own beside one process, a few events each. It checks the shape of
// the results, never their speed.
const TINY: FanoutConfig = {
  ...FULL,
  sizes: [20],
  rounds: 1,
  steadyEvents: () => 4,
  burstEvents: 10,
  window: 2,
  publishers: 2,
  targets: () => ['pubkeeper', 'rawBroadcast'],
};

const TINY_CLUSTER: ClusterConfig = { rounds: 1, latencyEvents: 5, writers: 2, writes: 16, window: 8, batch: 4 };

describe('bench suite smoke', () => {
  it('the fan-out bench measures pubkeeper and the raw ws baseline and stops every server it started', async () => {
    const results = await runFanout(TINY);

    expect(results.map((r) => `${r.key}/${r.phase}`).sort()).toEqual([
      'pubkeeper/burst',
      'pubkeeper/steady',
      'rawBroadcast/burst',
      'rawBroadcast/steady',
    ]);
    for (const result of results) {
      expect(result.subscribers).toBe(20);
      expect(result.rounds).toHaveLength(1);
      const events = result.phase === 'steady' ? 4 : 10;
      expect(result.median.deliveries).toBe(events * 20);
      for (const figure of [result.median.cpuUs, result.median.syscw, result.median.loadgenUs, result.median.wallMs]) {
        expect(Number.isFinite(figure)).toBe(true);
        expect(figure).toBeGreaterThan(0);
      }
    }
    expect(liveChildren()).toBe(0);
  });

  it.skipIf(clusterUnavailable() !== null)('the cluster bench measures three nodes on Redis and one process and stops every process it started', async () => {
    const results = await runCluster(TINY_CLUSTER);

    expect(results.map((r) => r.key).sort()).toEqual(['cluster', 'single']);
    for (const result of results) {
      expect(result.notify).toHaveLength(5);
      expect(result.removed).toHaveLength(5);
      for (const figures of [...result.register, ...result.unregister]) {
        expect(figures.cpuUsEach).toHaveLength(result.key === 'cluster' ? 4 : 1);
        for (const figure of [figures.perSec, figures.cpuUs, figures.loadgenUs, ...result.notify]) {
          expect(Number.isFinite(figure)).toBe(true);
          expect(figure).toBeGreaterThan(0);
        }
      }
      expect(result.register).toHaveLength(1);
      expect(result.unregister).toHaveLength(1);
    }
    expect(liveChildren()).toBe(0);
  });
});
