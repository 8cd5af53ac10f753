#!/usr/bin/env node
// The container's HEALTHCHECK (and anyone's liveness probe without curl): GET /healthz on this
// host, exit 0 on 200 and 1 otherwise. It reads the same PUBKEEPER_* variables the server does, so
// a port or TLS set by env is followed. Over TLS the certificate is not checked: this asks whether
// the process on loopback answers, not who it is.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const TIMEOUT_MS = 3000;
const env = process.env;
const tls = Boolean(env.PUBKEEPER_TLS_CERT);
const port = Number(env.PUBKEEPER_PORT || 9898);
// A wildcard listen address is reached on loopback; a specific one only on itself.
const listenHost = env.PUBKEEPER_HOST || '0.0.0.0';
const host = listenHost === '0.0.0.0' ? '127.0.0.1' : listenHost === '::' ? '::1' : listenHost;

const request = tls ? httpsRequest : httpRequest;
const req = request(
  { host, port, path: '/healthz', method: 'GET', timeout: TIMEOUT_MS, rejectUnauthorized: false },
  (res) => {
    res.resume();
    process.exitCode = res.statusCode === 200 ? 0 : 1;
    if (res.statusCode !== 200) process.stderr.write(`healthcheck: /healthz answered ${res.statusCode}\n`);
  },
);
req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
req.on('error', (err) => {
  process.stderr.write(`healthcheck: ${err.message}\n`);
  process.exitCode = 1;
});
req.end();
