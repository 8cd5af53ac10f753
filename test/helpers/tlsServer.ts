// A real server over TLS (certificates from helpers/tlsCerts.ts) and the bits of client the TLS
// suites share: an https request, and the SDK's clients over wss, each closed when the test ends.
import { request, type RequestOptions } from 'node:https';
import { onTestFinished } from 'vitest';
import { PcpClient, type PcpClientOptions } from '../../src/client/pcpClient.js';
import { PubkeeperClient } from '../../src/client/pubkeeperClient.js';
import type { ConfigKey } from '../../src/config/schema.js';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';
import { testCerts, type TestCerts } from './tlsCerts.js';

export interface TlsTestServer extends TestServer {
  certs: TestCerts;
  /** `wss://127.0.0.1:<port>` */
  wss: string;
  /** An authenticated /ws session over wss, trusting the test CA. */
  wsClient(sub: string, rights?: unknown[]): Promise<PubkeeperClient>;
  /** A PCP v2 client over wss; `options.tls` defaults to trusting the test CA. */
  pcpTls(options: Partial<PcpClientOptions>): Promise<PcpClient>;
}

/**
 * `startTestServer` with `--tls-cert`/`--tls-key` of the test CA's server certificate; with
 * `clientCerts` also `--tls-ca` (and whatever `--cert-rights` the config names).
 */
export async function startTlsServer(options: TestServerOptions & { clientCerts?: boolean } = {}): Promise<TlsTestServer> {
  const certs = testCerts();
  const tlsFlags: Partial<Record<ConfigKey, string>> = { tlsCert: certs.server.certFile, tlsKey: certs.server.keyFile };
  if (options.clientCerts) tlsFlags.tlsCa = certs.ca.certFile;
  const t = await startTestServer({ ...options, config: { ...tlsFlags, ...options.config } });
  const wss = `wss://127.0.0.1:${t.port}`;
  const wsClient = async (sub: string, rights: unknown[] = ['all']): Promise<PubkeeperClient> => {
    const c = await PubkeeperClient.connect(`${wss}/ws`, { tls: { ca: certs.ca.cert } });
    onTestFinished(() => c.socket.terminate());
    if (!(await c.authenticate(t.keys.mint(sub, rights)))) throw new Error('test client did not authenticate');
    return c;
  };
  const pcpTls = async (pcpOptions: Partial<PcpClientOptions>): Promise<PcpClient> => {
    const c = await PcpClient.connect(wss, { ...pcpOptions, tls: { ca: certs.ca.cert, ...pcpOptions.tls } });
    onTestFinished(() => c.socket.terminate());
    return c;
  };
  return { ...t, certs, wss, wsClient, pcpTls };
}

export interface HttpsAnswer {
  status: number;
  body: string;
}

/** One https request to 127.0.0.1:`port`, trusting the test CA unless `options` say otherwise. */
export function httpsRequest(port: number, path: string, options: RequestOptions & { body?: string } = {}): Promise<HttpsAnswer> {
  const { body, ...rest } = options;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: testCerts().ca.cert, agent: false, ...rest }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
