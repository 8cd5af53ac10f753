import { describe, expect, it } from 'vitest';
import { startCluster } from '../../helpers/cluster.js';
import { nextFrame } from '../../helpers/frames.js';

describe('cluster smoke', () => {
  it('a brewer on A reaches a subscriber on B', async () => {
    const { nodes } = await startCluster(2);
    const [a, b] = nodes;
    const sub = await b!.client('patron');
    await sub.subscribe('x.**');
    const brewer = await a!.client('brewer');
    const notified = nextFrame(sub, (f) => f[0] === 12);
    const t0 = Date.now();
    await brewer.registerBrewer('x.y', { uuid: 'u1', host: 'h' });
    const [, payload] = await notified;
    expect(payload).toEqual({ topic: 'x.y', brewer: { uuid: 'u1', host: 'h' } });
    expect(Date.now() - t0).toBeLessThan(500);
    expect((await b!.health()).body).toMatchObject({ status: 'ok', cluster: { engine: 'reachable', nodes: 2 } });
  }, 30000);
});
