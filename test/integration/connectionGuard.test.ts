import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PubkeeperClient } from '../../src/client/pubkeeperClient.js';
import { eventually } from '../helpers/relay.js';
import { startTestServer } from '../helpers/server.js';
import { rawSocket as raw } from '../helpers/rawSocket.js';

// CONTRACT §6b, connections: caps in total and per remote address, and a handshake timeout, on the
// main port and the relay's, enforced before any byte is parsed. Every test keeps a bystander
// session working throughout.

/** The status line of a GET on `socket`, proving the server serves it. */
function statusLine(socket: Socket, path = '/healthz'): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (data: Buffer) => resolve(data.toString('latin1').split('\r\n', 1)[0] ?? ''));
    socket.once('close', () => reject(new Error('closed before answering')));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

describe('hostile connections (CONTRACT §6b)', () => {
  it('past the per-address cap a new connection from that address is closed at once; other addresses are served', async () => {
    const t = await startTestServer({ config: { maxConnectionsPerAddress: 3 } });
    const bystander = await t.client('bystander');
    const flood = [await raw(t.port, '127.0.0.2'), await raw(t.port, '127.0.0.2'), await raw(t.port, '127.0.0.2')];
    await eventually(() => t.server.connections.open === 4);
    const refused = await raw(t.port, '127.0.0.2');
    await refused.ended;
    expect(t.server.connections.refused.overCap).toBe(1);
    // The three within the cap are served, and so is everyone from elsewhere.
    expect(await statusLine(flood[0]!)).toBe('HTTP/1.1 200 OK');
    const newcomer = await t.client('newcomer');
    await newcomer.subscribe('a.*');
    await bystander.subscribe('b.*');
    // A place freed is a place taken again.
    flood[1]!.destroy();
    await eventually(() => t.server.connections.open === 4);
    expect(await statusLine(await raw(t.port, '127.0.0.2'))).toBe('HTTP/1.1 200 OK');
  });

  it('past the total cap every new connection is closed at once until one ends', async () => {
    const t = await startTestServer({ config: { maxConnections: 3 } });
    const bystander = await t.client('bystander');
    const idle = [await raw(t.port, '127.0.0.3'), await raw(t.port, '127.0.0.4')];
    await eventually(() => t.server.connections.open === 3);
    await expect(PubkeeperClient.connect(t.url)).rejects.toThrow();
    await (await raw(t.port, '127.0.0.5')).ended;
    await bystander.subscribe('still.here');
    idle[0]!.destroy();
    await eventually(() => t.server.connections.open === 2);
    await t.client('later');
  });

  it('a connection that has not completed its request or upgrade in handshakeTimeoutMs is closed; sessions are not', async () => {
    const t = await startTestServer({ config: { handshakeTimeoutMs: 150 } });
    const bystander = await t.client('bystander');
    const silent = await raw(t.port, '127.0.0.6');
    const trickle = await raw(t.port, '127.0.0.6');
    trickle.write('GET /ws HTTP/1.1\r\nHost: x\r\n'); // headers never finished
    await silent.ended;
    await trickle.ended;
    expect(t.server.connections.refused.handshakeTimeout).toBe(2);
    // The bystander's upgrade completed long ago: its session is not subject to the timer.
    await bystander.subscribe('a.*');
    expect(bystander.closed).toBeUndefined();
  });

  it('the relay has the same caps and handshake timeout', async () => {
    const t = await startTestServer({ config: { relayPort: 0, maxConnectionsPerAddress: 2, handshakeTimeoutMs: 150 } });
    const relay = t.server.relay!;
    const port = relay.address().port;
    const held = [await raw(port, '127.0.0.7'), await raw(port, '127.0.0.7')];
    await eventually(() => relay.connections.open === 2);
    await (await raw(port, '127.0.0.7')).ended;
    expect(relay.connections.refused.overCap).toBe(1);
    // The two held ones never sent a request: the handshake timeout closes them.
    await held[0]!.ended;
    await held[1]!.ended;
    expect(relay.connections.refused.handshakeTimeout).toBe(2);
    const metrics = await t.server.metrics.render();
    expect(metrics).toMatch(/^pubkeeper_connections_refused_total\{listener="relay",reason="cap"\} 1$/m);
    expect(metrics).toMatch(/^pubkeeper_connections_refused_total\{listener="relay",reason="handshake_timeout"\} 2$/m);
    expect(metrics).toMatch(/^pubkeeper_connections_refused_total\{listener="main",reason="cap"\} 0$/m);
    const bystander = await t.client('bystander');
    await bystander.subscribe('a.*');
  });
});
