import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { describe, expect, it, onTestFinished } from 'vitest';
import { captureLogger } from '../../helpers/server.js';
import { eventually } from '../../helpers/relay.js';
import { httpsRequest, startTlsServer } from '../../helpers/tlsServer.js';
import { rawSocket as raw } from '../../helpers/rawSocket.js';

// CONTRACT §6b over TLS: the caps and the handshake timeout hold from a connection's first TCP
// byte, TLS handshake included, and no handshake failure (plain HTTP, garbage, a client that
// stops halfway) costs anybody else anything. Every test keeps a bystander session working.


/** A TLS client from `localAddress` (over a TCP socket of ours: tls.connect has no such option). */
function tlsFrom(port: number, localAddress: string, ca: Buffer): TLSSocket {
  const socket = tlsConnect({ socket: tcpConnect({ host: '127.0.0.1', port, localAddress }), ca, servername: 'localhost' });
  onTestFinished(() => void socket.destroy());
  socket.on('error', () => undefined);
  return socket;
}

// A TLS handshake record header announcing a 512-byte ClientHello that never comes.
const HALF_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

describe('TLS under hostile load', () => {
  it('TLS-4 the handshake timeout closes a connection that never starts TLS, one that stops halfway, and one with TLS but no request', async () => {
    const t = await startTlsServer({ config: { handshakeTimeoutMs: 200 } });
    const bystander = await t.wsClient('bystander');
    const silent = await raw(t.port, '127.0.0.6');
    const halfway = await raw(t.port, '127.0.0.6');
    halfway.write(HALF_HELLO);
    const idleTls = tlsFrom(t.port, '127.0.0.6', t.certs.ca.cert);
    await new Promise((resolve) => idleTls.once('secureConnect', resolve));
    await Promise.all([silent.ended, halfway.ended, new Promise((resolve) => idleTls.once('close', resolve))]);
    expect(t.server.connections.refused.handshakeTimeout).toBe(3);
    // The bystander's upgrade completed over TLS long ago: the timer was done with it.
    await bystander.subscribe('a.*');
    expect(bystander.closed).toBeUndefined();
    expect((await httpsRequest(t.port, '/healthz')).status).toBe(200);
  });

  it('TLS-4 a connection counts against the caps before its TLS handshake', async () => {
    const t = await startTlsServer({ config: { maxConnectionsPerAddress: 2 } });
    const bystander = await t.wsClient('bystander');
    const held = [await raw(t.port, '127.0.0.7'), await raw(t.port, '127.0.0.7')];
    await eventually(() => t.server.connections.open === 3);
    const refused = tlsFrom(t.port, '127.0.0.7', t.certs.ca.cert);
    const outcome = await new Promise<string>((resolve) => {
      refused.once('secureConnect', () => resolve('handshake completed'));
      refused.once('error', () => resolve('refused'));
      refused.once('close', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
    expect(t.server.connections.refused.overCap).toBe(1);
    await bystander.subscribe('a.*');
    held[0]!.destroy();
    await eventually(() => t.server.connections.open === 2);
    expect((await httpsRequest(t.port, '/healthz', { localAddress: '127.0.0.7' })).status).toBe(200);
  });

  it('TLS-2 a flood of failed handshakes (plain HTTP, garbage, half a hello then gone) is logged at debug only and disturbs nobody', async () => {
    const { logger, lines } = captureLogger('debug');
    // Whatever a failed handshake might leave open is closed by the handshake timeout at the latest.
    const t = await startTlsServer({ logger, config: { handshakeTimeoutMs: 1000 } });
    const bystander = await t.wsClient('bystander', ['all']);
    const pcp = await t.pcpTls({ token: t.keys.mint('pcp-bystander') });
    await bystander.subscribe('flood.*');
    const flood: Promise<void>[] = [];
    for (let i = 0; i < 45; i++) {
      const socket = await raw(t.port, `127.0.1.${(i % 20) + 1}`);
      if (i % 3 === 0) socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      else if (i % 3 === 1) socket.write(randomBytes(300));
      else socket.end(HALF_HELLO);
      flood.push(socket.ended);
    }
    await Promise.all(flood);
    await eventually(() => t.server.connections.open === 2);
    // Both sessions carry on, and the port serves.
    await bystander.subscribe('still.here');
    expect(await pcp.associate()).toBe(true);
    expect((await httpsRequest(t.port, '/healthz')).status).toBe(200);
    const failures = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.msg === 'TLS handshake failed');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((l) => l.level === 20)).toBe(true);
  }, 30_000); // a bound for a loaded machine
});
