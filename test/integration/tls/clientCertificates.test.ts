import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PcpConnectError, type PcpRequestError, type PcpClient } from '../../../src/client/pcpClient.js';
import { PubkeeperClient } from '../../../src/client/pubkeeperClient.js';
import { tempDir } from '../../helpers/keys.js';
import { nextMessage, uuid, V1Client } from '../../helpers/pcp.js';
import { testCerts } from '../../helpers/tlsCerts.js';
import { httpsRequest, startTlsServer, type TlsTestServer } from '../../helpers/tlsServer.js';

// CONTRACT §2 TLS, client certificates (protocol/tls.md): with --tls-ca a PCP client may connect
// with a certificate of that CA and no token, as pcp://<CN>/<type>, with the rights --cert-rights
// grants its CN (its own entry, else "*", else none). A token, when given, wins.

/** agent1 may send to agent2; everybody else (agent2 included) may only see the inventory. */
const RIGHTS = { agent1: ['send:pcp://agent2/*'], '*': ['inventory:pcp://*/*'] };

function rightsFile(value: unknown): string {
  const file = join(tempDir(), 'cert-rights.json');
  writeFileSync(file, JSON.stringify(value));
  return file;
}

async function certServer(rights: unknown = RIGHTS): Promise<TlsTestServer> {
  return startTlsServer({ clientCerts: true, config: rights === undefined ? {} : { certRights: rightsFile(rights) } });
}

/** A PCP v2 client with the test CA's certificate for `cn`, and no token. */
function withCert(t: TlsTestServer, cn: string, type = 'agent'): Promise<PcpClient> {
  const pem = t.certs.client(cn);
  return t.pcpTls({ type, tls: { cert: pem.cert, key: pem.key } });
}

const refusal = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => 'connected', (e: unknown) => e);

/** Runs an admin command over https and resolves once it is done; each round asks the server again. */
async function command(t: TlsTestServer, name: string, payload: unknown): Promise<void> {
  const headers = { authorization: `Bearer ${t.keys.mint('root', ['admin:*'])}`, 'content-type': 'application/json' };
  const queued = await httpsRequest(t.port, '/commands', { method: 'POST', headers, body: JSON.stringify({ command: name, version: 1, payload }) });
  expect(queued.status).toBe(200);
  const { uuid: id } = JSON.parse(queued.body) as { uuid: string };
  const deadline = Date.now() + 5000;
  for (;;) {
    const { status } = JSON.parse((await httpsRequest(t.port, `/commands/${id}`, { headers })).body) as { status: string };
    if (status === 'done') return;
    if (status === 'failed' || Date.now() > deadline) throw new Error(`${name}: ${status}`);
  }
}

describe('TLS client certificates (PCP)', () => {
  it('TLS-CERT-1 v2: a certificate and no token connects as pcp://<CN>/<type> with the rights of its CN, else of "*"', async () => {
    const t = await certServer();
    const agent1 = await withCert(t, 'agent1');
    const agent2 = await withCert(t, 'agent2');
    expect(agent1.uri).toBe('pcp://agent1/agent');
    // agent2 holds the "*" entry's inventory right, and sees both URIs as the server has them.
    expect(await agent2.inventory(['pcp://*/*'])).toEqual(['pcp://agent1/agent', 'pcp://agent2/agent']);
    // agent1 may send to agent2…
    const delivered = nextMessage(agent2, (m) => m.message_type === 'demo/hello');
    agent1.send('pcp://agent2/agent', 'demo/hello', { n: 1 });
    expect(await delivered).toMatchObject({ sender: 'pcp://agent1/agent', data: { n: 1 } });
    // …agent2 may not send to agent1, and agent1 (its own entry, no "*" fallback) has no inventory.
    expect(await agent2.request('pcp://agent1/agent', 'demo/hello')).toMatchObject({ message_type: 'http://puppetlabs.com/unauthorized' });
    expect(await agent1.inventory(['pcp://*/*']).catch((e: unknown) => (e as PcpRequestError).code)).toBe('UNAUTHORIZED');
  });

  it('TLS-CERT-1 v1: a certificate and no token connects too, and talks with v2 clients', async () => {
    const t = await certServer();
    const pem = t.certs.client('agent2');
    const v1 = await V1Client.connect(t.wss, undefined, 'agent2', 'legacy', { ca: t.certs.ca.cert, cert: pem.cert, key: pem.key });
    const agent1 = await withCert(t, 'agent1');
    const id = agent1.send('pcp://agent2/legacy', 'demo/hello', { n: 2 });
    expect(await v1.next((m) => m.id === id)).toMatchObject({ sender: 'pcp://agent1/agent', data: { n: 2 } });
    // The v1 client's own rights are the "*" entry's: no send right to agent1.
    const denied = uuid();
    v1.send({ id: denied, message_type: 'demo/hello', target: 'pcp://agent1/agent' });
    expect(await v1.next((m) => m.in_reply_to === denied)).toMatchObject({ message_type: 'http://puppetlabs.com/unauthorized' });
  });

  it('TLS-CERT-2 no rights file: a certificate client still connects, with no right at all', async () => {
    const t = await certServer(undefined);
    const agent1 = await withCert(t, 'agent1');
    expect(await agent1.associate()).toBe(true);
    expect(await agent1.inventory(['pcp://*/*']).catch((e: unknown) => (e as PcpRequestError).code)).toBe('UNAUTHORIZED');
  });

  it('TLS-CERT-3 refused before any WebSocket (401): a certificate of another CA, an unusable CN, no certificate and no token', async () => {
    const t = await certServer();
    const stranger = t.certs.stranger;
    expect(await refusal(t.pcpTls({ tls: { cert: stranger.cert, key: stranger.key } }))).toEqual(new PcpConnectError(401));
    const badName = t.certs.client('not a name');
    expect(await refusal(t.pcpTls({ tls: { cert: badName.cert, key: badName.key } }))).toEqual(new PcpConnectError(401));
    const reason = await httpsRequest(t.port, '/pcp/v2.0/agent', {
      cert: badName.cert,
      key: badName.key,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    expect(reason).toEqual({ status: 401, body: expect.stringMatching(/CN is not a valid PCP name/) });
    // No credential at all: the SDK will not even try; a bare upgrade is 401.
    await expect(t.pcpTls({})).rejects.toThrow(/token/);
    const bare = await httpsRequest(t.port, '/pcp/v2.0/agent', {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    expect(bare).toEqual({ status: 401, body: 'missing token or client certificate\n' });
    // The server is none the worse: a good certificate connects.
    await withCert(t, 'agent1');
  });

  it('TLS-CERT-4 a token wins over a certificate, even one that would not verify', async () => {
    const t = await certServer();
    const pem = t.certs.client('agent1');
    const both = await t.pcpTls({ token: t.keys.mint('tokenuser', ['inventory:pcp://*/*']), tls: { cert: pem.cert, key: pem.key } });
    expect(both.uri).toBe('pcp://tokenuser/agent');
    expect(await both.inventory(['pcp://*/*'])).toEqual(['pcp://tokenuser/agent']);
    const stranger = t.certs.stranger;
    await t.pcpTls({ type: 'other', token: t.keys.mint('tokenuser'), tls: { cert: stranger.cert, key: stranger.key } });
    // A bad token is refused even with a good certificate: the token is what was asked for.
    expect(await refusal(t.pcpTls({ token: 'not-a-jwt', tls: { cert: pem.cert, key: pem.key } }))).toEqual(new PcpConnectError(401));
  });

  it('TLS-CERT-5 without --tls-ca no client certificate is asked for: a certificate and no token is 401', async () => {
    const t = await startTlsServer();
    const pem = testCerts().client('agent1');
    expect(await refusal(t.pcpTls({ tls: { cert: pem.cert, key: pem.key } }))).toEqual(new PcpConnectError(401));
  });

  it('TLS-CERT-6 kick and revoke by sub reach certificate clients (sub = CN); a revoked CN is refused until unrevoked', async () => {
    const t = await certServer();
    const kicked = await withCert(t, 'agent1');
    const kickedClose = new Promise((resolve) => kicked.on('close', (code) => resolve(code)));
    await command(t, 'kick client', { sub: 'agent1' });
    expect(await kickedClose).toBe(4005);
    // The client may come back at once.
    const revoked = await withCert(t, 'agent1');
    const revokedClose = new Promise((resolve) => revoked.on('close', (code) => resolve(code)));
    await command(t, 'revoke token', { sub: 'agent1' });
    expect(await revokedClose).toBe(4004);
    expect(await refusal(withCert(t, 'agent1'))).toEqual(new PcpConnectError(401));
    await withCert(t, 'agent2');
    await command(t, 'unrevoke token', { sub: 'agent1' });
    await withCert(t, 'agent1');
  });

  it('TLS-CERT-7 /ws authenticates by token only: a certificate there authenticates nothing', async () => {
    const t = await certServer();
    const pem = t.certs.client('agent1');
    const c = await PubkeeperClient.connect(`${t.wss}/ws`, { tls: { ca: t.certs.ca.cert, cert: pem.cert, key: pem.key } });
    const answer = new Promise((resolve) => c.once('serverError', resolve));
    c.send(20, { topic: 'a.*' });
    expect(await answer).toMatch(/^Unauthenticated Request/);
    c.socket.terminate();
  });
});
