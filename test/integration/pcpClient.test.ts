import { describe, expect, it } from 'vitest';
import { PcpClient, PcpConnectError, PcpRequestError } from '../../src/client/pcpClient.js';
import { startTestServer } from '../helpers/server.js';

describe('PCP SDK', () => {
  it('request() rejects with kind "timeout" when no reply comes, and the client stays usable', async () => {
    const t = await startTestServer();
    const a = await t.pcp('a', ['all']);
    await t.pcp('silent', []); // receives, never answers
    const error = await a.request('pcp://silent/agent', 'x/y', {}, 100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PcpRequestError);
    expect((error as PcpRequestError).kind).toBe('timeout');
    expect(await a.associate()).toBe(true);
  });

  it('pending requests reject with kind "closed" when the connection closes', async () => {
    const t = await startTestServer();
    const a = await t.pcp('a', ['all']);
    await t.pcp('silent', []);
    const pending = a.request('pcp://silent/agent', 'x/y');
    a.socket.terminate();
    await expect(pending).rejects.toMatchObject({ kind: 'closed' });
  });

  it('connect() rejects with the HTTP status of a refused upgrade; the token can travel in the query', async () => {
    const t = await startTestServer();
    await expect(PcpClient.connect(t.base, { token: 'bad' })).rejects.toEqual(new PcpConnectError(401));
    await expect(PcpClient.connect(t.base, { token: t.keys.mint('a'), type: 'server' })).rejects.toEqual(new PcpConnectError(403));
    const viaQuery = await t.pcp('q', ['all'], { tokenIn: 'query' });
    expect(await viaQuery.inventory(['pcp://q/*'])).toEqual(['pcp://q/agent']);
  });
});
