import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { nextFrame } from '../helpers/frames.js';
import { realClient } from '../helpers/pkjs.js';
import { startTestServer } from '../helpers/server.js';

const hex = (): string => randomBytes(16).toString('hex');

describe('the original PubKeeper JS client (@pubkeeper/client 4.x), unmodified', () => {
  it('PK1-REAL-1 a brewer and a patron (v1.1, `*` pattern) discover each other, exchange encrypted data through the relay, and see the brewer go on unregister', async () => {
    const t = await startTestServer({ config: { relayPort: 0 } });
    const relay = t.server.relay!.address();
    const token = t.keys.mint('real', ['all']);
    const brewerSide = await realClient({ url: t.url, token, relay: { hostname: '127.0.0.1', port: relay.port } });
    const patronSide = await realClient({ url: t.url, token });
    const brewerId = hex();
    const patronId = hex();
    const { token: brewerToken, brewer } = await brewerSide.addBrewer('real.one', brewerId);
    patronSide.addPatron('real.*', patronId);
    await patronSide.waitFor(`brewer-added:${brewerId}`);
    await brewerSide.waitFor(`patron-added:${patronId}`);
    const b = await brewer;
    // The first brew may reach the relay before the patron joined: the relay's last value covers it.
    await b.brewJSON({ hello: 'relay', n: 1 }, { waitForBrews: 3000 });
    await patronSide.waitFor('message');
    expect(patronSide.messages[0]).toEqual({ text: '{"hello":"relay","n":1}', topic: 'real.one', from: brewerId });
    brewerSide.client.removeBrewer(brewerToken);
    await patronSide.waitFor(`brewer-removed:${brewerId}`);
    expect(brewerSide.errors.filter((e) => !/ECONNREFUSED|closed before/.test(e))).toEqual([]);
  });

  it('PK1-REAL-2 a v1.0 brewer and a v1.1 patron on `**` see each other, and the patron sees the brewer go when its socket drops', async () => {
    const t = await startTestServer();
    const token = t.keys.mint('real', ['all']);
    const brewerSide = await realClient({ url: t.url, token, versions: ['1.0'] });
    const patronSide = await realClient({ url: t.url, token, versions: ['1.1'] });
    expect(brewerSide.client._wsc?.protocol).toBe('pubkeeper-1.0');
    expect(patronSide.client._wsc?.protocol).toBe('pubkeeper-1.1');
    const brewerId = hex();
    const patronId = hex();
    patronSide.addPatron('deep.**', patronId);
    await brewerSide.addBrewer('deep.a.b.c', brewerId);
    await patronSide.waitFor(`brewer-added:${brewerId}`);
    await brewerSide.waitFor(`patron-added:${patronId}`);
    brewerSide.client._wsc?.terminate();
    await patronSide.waitFor(`brewer-removed:${brewerId}`);
  });

  it('PK1-REAL-3 a JSON-dialect subscriber sees a real 1.x brewer, and a real patron\'s removal reaches the brewer', async () => {
    const t = await startTestServer();
    const token = t.keys.mint('real', ['all']);
    const json = await t.client('json');
    await json.subscribe('mixed.*');
    const saw = nextFrame(json, (f) => f[0] === Packet.BREWER_NOTIFY);
    const brewerSide = await realClient({ url: t.url, token });
    const brewerId = hex();
    await brewerSide.addBrewer('mixed.real', brewerId);
    const [, payload] = await saw;
    expect(payload).toMatchObject({ topic: 'mixed.real', brewer: { uuid: brewerId, brews: [{ name: 'websocket' }], brewer_config: { cipher: { mode: 2 } } } });
    const patronSide = await realClient({ url: t.url, token });
    const patronId = hex();
    const { token: patronToken } = patronSide.addPatron('mixed.*', patronId);
    await brewerSide.waitFor(`patron-added:${patronId}`);
    patronSide.client.removePatron(patronToken);
    await brewerSide.waitFor(`patron-removed:${patronId}`);
  });
});
