import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../../helpers/cli.js';
import { tempDir, tempKeys } from '../../helpers/keys.js';
import { testCerts } from '../../helpers/tlsCerts.js';
import { httpsRequest } from '../../helpers/tlsServer.js';

// `pubkeeper serve` with TLS as a user runs it: the real CLI as a child process. Every TLS
// misconfiguration is one line naming the flag, exit 2, before anything is created.

function file(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

/** `serve` with these flags must refuse to start: exit 2 and one line on stderr. */
async function refused(flags: string[]): Promise<string> {
  const result = await runCli(['serve', '--host', '127.0.0.1', '--port', '0', '--keys', tempKeys().dir, ...flags], { PUBKEEPER_DATA_DIR: tempDir() });
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  return result.stderr;
}

describe('pubkeeper serve with TLS', () => {
  it('TLS-1 serve --tls-cert --tls-key answers https, says so when listening, and an admin CLI reaches it through NODE_EXTRA_CA_CERTS', async () => {
    const certs = testCerts();
    const keys = tempKeys();
    const server = await startCli(['--host', '127.0.0.1', '--port', '0', '--keys', keys.dir, '--tls-cert', certs.server.certFile, '--tls-key', certs.server.keyFile]);
    expect(await httpsRequest(server.port, '/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect(server.logs.find((l) => String(l.msg).startsWith('listening'))).toMatchObject({ tls: true, msg: expect.stringContaining('(TLS)') });
    // Node's standard variable adds the private CA for any Node program, the CLI's clients included.
    const args = ['admin', 'sessions', '--url', `https://127.0.0.1:${server.port}`, '--token', keys.mint('root', ['admin:*'])];
    const trusted = await runCli(args, { NODE_EXTRA_CA_CERTS: certs.ca.certFile });
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
    const untrusted = await runCli(args);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('TLS-5 a TLS misconfiguration is one line naming the flag, exit 2', async () => {
    const certs = testCerts();
    const { certFile, keyFile } = certs.server;
    expect(await refused(['--tls-cert', certFile])).toMatch(/--tls-cert needs --tls-key/);
    expect(await refused(['--tls-key', keyFile])).toMatch(/--tls-key needs --tls-cert/);
    expect(await refused(['--tls-cert', join(tempDir(), 'absent.pem'), '--tls-key', keyFile])).toMatch(/cannot read --tls-cert .*absent\.pem: ENOENT/);
    expect(await refused(['--tls-cert', keyFile, '--tls-key', keyFile])).toMatch(/--tls-cert .* does not hold a PEM certificate/);
    expect(await refused(['--tls-cert', certFile, '--tls-key', certFile])).toMatch(/--tls-key .* does not hold an unencrypted PEM private key/);
    expect(await refused(['--tls-cert', certFile, '--tls-key', certs.ca.keyFile])).toMatch(/--tls-key .* is not the private key of --tls-cert/);
    expect(await refused(['--tls-ca', certs.ca.certFile])).toMatch(/--tls-ca needs --tls-cert and --tls-key/);
    const tls = ['--tls-cert', certFile, '--tls-key', keyFile];
    expect(await refused([...tls, '--tls-ca', file('ca.pem', 'not a certificate')])).toMatch(/--tls-ca .* does not hold PEM CA certificates/);
    const rights = file('rights.json', '{"agent1": ["send:pcp://*/*"]}');
    expect(await refused([...tls, '--cert-rights', rights])).toMatch(/--cert-rights needs --tls-ca/);
    const ca = ['--tls-ca', certs.ca.certFile];
    expect(await refused([...tls, ...ca, '--cert-rights', file('bad.json', '{"agent1": [')])).toMatch(/--cert-rights .* is not valid JSON/);
    expect(await refused([...tls, ...ca, '--cert-rights', file('bad.json', '{"agent1": ["fly:everywhere"]}')])).toMatch(/--cert-rights .*: "agent1": invalid rights: "fly:everywhere" is not a valid right/);
    expect(await refused([...tls, ...ca, '--cert-rights', file('bad.json', '{"agent1": "all"}')])).toMatch(/--cert-rights .*: "agent1": each value must be an array of rights/);
    expect(await refused([...tls, ...ca, '--cert-rights', file('bad.json', '{"not a cn": []}')])).toMatch(/--cert-rights .*: "not a cn": a key is a certificate CN/);
    expect(await refused([...tls, ...ca, '--cert-rights', file('bad.json', '[]')])).toMatch(/--cert-rights .*: must hold a JSON object/);
  }, 60_000);
});
