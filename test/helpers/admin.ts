// The admin HTTP API from tests: plain fetch, as a user's curl would talk to it.
import type { TestServer } from './server.js';

export interface AdminAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export interface AdminRequest {
  method?: string;
  token?: string | undefined;
  body?: string | Buffer;
  type?: string;
  headers?: Record<string, string>;
}

/** One request to the server's admin API; the body read as JSON. */
export async function admin(t: Pick<TestServer, 'port'>, path: string, request: AdminRequest = {}): Promise<AdminAnswer> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
  if (request.type !== undefined) headers['content-type'] = request.type;
  const body = typeof request.body === 'string' || request.body === undefined ? request.body : new Uint8Array(request.body);
  const res = await fetch(`http://127.0.0.1:${t.port}${path}`, { method: request.method ?? 'GET', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** An admin token of the test server's keys. */
export const adminToken = (t: TestServer, sub = 'root'): string => t.keys.mint(sub, ['admin:*']);

/** Submits a command as JSON; resolves with its uuid (the answer must be 200). */
export async function submit(t: TestServer, command: string, payload: unknown, version = 1): Promise<string> {
  const answer = await admin(t, '/commands', {
    method: 'POST',
    token: adminToken(t),
    type: 'application/json',
    body: JSON.stringify({ command, version, payload }),
  });
  if (answer.status !== 200) throw new Error(`command refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.uuid as string;
}

/**
 * The command's record once it has finished (done or failed). Each round asks the server again;
 * the timeout only bounds a failure.
 */
export async function outcome(t: TestServer, uuid: string, ms = 5000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const answer = await admin(t, `/commands/${uuid}`, { token: adminToken(t) });
    const status = answer.body.status;
    if (status === 'done' || status === 'failed') return answer.body;
    if (Date.now() > deadline) throw new Error(`command ${uuid} still ${String(status)} after ${ms} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Submits and waits for the outcome. */
export async function run(t: TestServer, command: string, payload: unknown): Promise<Record<string, unknown>> {
  return outcome(t, await submit(t, command, payload));
}
