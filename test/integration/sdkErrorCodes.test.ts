// Every error the SDK raises carries an ErrorCode from the one list (STYLE §2): the server's code
// read back from the wire text, or the SDK's own for a timeout or a closed connection.
import { describe, expect, it } from 'vitest';
import { PcpClient, PcpConnectError, PcpRequestError } from '../../src/client/pcpClient.js';
import { DiscoveryClient } from '../../src/client/discoveryClient.js';
import { PubkeeperClient, PubkeeperRequestError } from '../../src/client/pubkeeperClient.js';
import { codeOfWireText, PubkeeperError } from '../../src/protocol/errors.js';
import { discovery, FAST, TRANSPORTS } from '../helpers/discovery.js';
import { startTestServer } from '../helpers/server.js';

describe('SDK errors carry the code', () => {
  it('codeOfWireText reads the code of a wire text, with or without detail, and nothing else', () => {
    expect(codeOfWireText('Lack Permissions for Request: subscribe:a.**')).toBe('LACK_PERMISSIONS');
    expect(codeOfWireText('Invalid payload')).toBe('INVALID_PAYLOAD');
    expect(codeOfWireText('Not connected.')).toBe('NOT_CONNECTED');
    expect(codeOfWireText('Invalid payloads')).toBeUndefined();
    expect(codeOfWireText('something else')).toBeUndefined();
  });

  it('/ws: a refused request is a PubkeeperRequestError with the ERROR\'s code; a closed session CONNECTION_CLOSED', async () => {
    const t = await startTestServer();
    const c = await t.client('reader', ['subscribe:a.*']);
    const refused = await c.subscribe('b.*').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PubkeeperRequestError);
    expect((refused as PubkeeperRequestError).code).toBe('LACK_PERMISSIONS');
    const invalid = await c.subscribe('a..b').catch((e: unknown) => e);
    expect((invalid as PubkeeperRequestError).code).toBe('INVALID_PAYLOAD');
    await c.close();
    const closed = await c.authenticate(t.keys.mint('reader', ['subscribe:a.*'])).catch((e: unknown) => e);
    expect((closed as PubkeeperRequestError).code).toBe('CONNECTION_CLOSED');
  });

  it('PCP: error_message, unauthorized, a timeout, a closed connection and a refused upgrade each have their code', async () => {
    const t = await startTestServer();
    const a = await t.pcp('a', ['subscribe:a.*']);
    await expect(a.subscribe('b.*')).rejects.toMatchObject({ kind: 'http://puppetlabs.com/unauthorized', code: 'UNAUTHORIZED' });
    await expect(a.subscribe('a..b')).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    await t.pcp('silent', []);
    const all = await t.pcp('all', ['all']);
    const timeout = await all.request('pcp://silent/agent', 'x/y', {}, 50).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(PcpRequestError);
    expect((timeout as PcpRequestError).code).toBe('TIMEOUT');
    const pending = all.request('pcp://silent/agent', 'x/y');
    all.socket.terminate();
    await expect(pending).rejects.toMatchObject({ kind: 'closed', code: 'CONNECTION_CLOSED' });
    expect(new PcpConnectError(401).code).toBe('UNAUTHENTICATED');
    const refused = await PcpClient.connect(t.base, { token: t.keys.mint('a'), type: 'server' }).catch((e: unknown) => e);
    expect((refused as PcpConnectError).code).toBe('LACK_PERMISSIONS');
  });

  // PCP answers a missing right with `unauthorized`, /ws with "Lack Permissions…".
  const REFUSED = { '/ws JSON': 'LACK_PERMISSIONS', 'PCP v2': 'UNAUTHORIZED' } as Record<string, string>;
  for (const transport of TRANSPORTS) {
    it(`DiscoveryClient over ${transport.name}: a refused subscribe carries the server's code, a closed client CONNECTION_CLOSED`, async () => {
      const t = await startTestServer();
      const client = discovery({ url: transport.url(t), token: t.keys.mint('d', ['subscribe:a.*']), transport: transport.transport(), backoff: FAST });
      await client.connect();
      await expect(client.subscribe('b.*')).rejects.toMatchObject({ operation: 'subscribe', code: REFUSED[transport.name] });
      await client.close();
      await expect(client.subscribe('a.*')).rejects.toMatchObject({ operation: 'close', code: 'CONNECTION_CLOSED' });
    });
  }

  // A URL that can never connect fails at once with INVALID_URL, before any socket: the SDK never
  // retries it (the DiscoveryClient would otherwise back off and try again forever).
  const BAD_URLS = ['localhost:9898', 'http://127.0.0.1:9898/ws', '127.0.0.1:9898', 'not a url', ''];

  it('PubkeeperClient.connect rejects an invalid URL with INVALID_URL before opening a socket', async () => {
    for (const url of BAD_URLS) {
      const error = await PubkeeperClient.connect(url).catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(PubkeeperError);
      expect(error, url).toMatchObject({ code: 'INVALID_URL', message: expect.stringMatching(/^Invalid URL: .*ws:\/\//) });
    }
  });

  it('PcpClient.connect rejects an invalid base URL with INVALID_URL before opening a socket', async () => {
    for (const url of BAD_URLS) {
      const error = await PcpClient.connect(url, { token: 'x.y.z' }).catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(PubkeeperError);
      expect(error, url).toMatchObject({ code: 'INVALID_URL' });
    }
  });

  it('the DiscoveryClient constructor throws INVALID_URL for any invalid URL of its list, instead of retrying it', () => {
    for (const url of BAD_URLS) {
      let thrown: unknown;
      try {
        new DiscoveryClient({ url, token: 't' });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, url).toBeInstanceOf(PubkeeperError);
      expect(thrown, url).toMatchObject({ code: 'INVALID_URL', message: expect.stringContaining(JSON.stringify(url)) });
    }
    expect(() => new DiscoveryClient({ url: ['ws://127.0.0.1:9898/ws', 'http://backup:9898/ws'], token: 't' })).toThrow(/^Invalid URL: "http:\/\/backup:9898\/ws"/);
    // wss:// is as good as ws://; nothing is opened until the first call.
    expect(new DiscoveryClient({ url: 'wss://example.invalid/ws', token: 't' })).toBeInstanceOf(DiscoveryClient);
  });
});
