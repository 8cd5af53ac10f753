// A brewer that stays registered through server restarts and token expiry, until SIGTERM or
// SIGINT, when it unregisters (subscribers see it go at once) and closes cleanly:
//
//   PUBKEEPER_TOKEN=$(npx pubkeeper token --sub thermo --right 'brew:sensors.*') node dist/examples/brewer.js sensors.hall
//
// The one argument is the topic (default sensors.example, or PUBKEEPER_TOPIC). The server is
// ws://127.0.0.1:9898/ws unless --url or PUBKEEPER_URL says otherwise; the token comes from --token,
// PUBKEEPER_TOKEN or PUBKEEPER_TOKEN_FILE (re-read on every connect, as in subscriber.ts).
// BREWER_UUID, BREWER_HOST and BREWER_PORT describe where the stream is; PUBKEEPER_TRANSPORT=pcp
// speaks PCP v2 instead (then the URL is ws://host:port). Built into dist/examples/ by `npm run build`.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { DiscoveryClient, pcpTransport, type TokenProvider } from '../src/client/index.js';

const { values: flags, positionals } = parseArgs({ options: { url: { type: 'string' }, token: { type: 'string' } }, allowPositionals: true });
const url = flags.url ?? process.env.PUBKEEPER_URL ?? 'ws://127.0.0.1:9898/ws';
const topic = positionals[0] ?? process.env.PUBKEEPER_TOPIC ?? 'sensors.example';
const tokenFile = process.env.PUBKEEPER_TOKEN_FILE;
const fixedToken = flags.token ?? process.env.PUBKEEPER_TOKEN;
const token: string | TokenProvider | undefined = tokenFile ? () => readFileSync(tokenFile, 'utf8').trim() : fixedToken;
if (token === undefined || positionals.length > 1) {
  process.stderr.write('usage: brewer [--url ws://HOST:PORT/ws] [--token JWT] [topic] (or PUBKEEPER_URL, PUBKEEPER_TOKEN / PUBKEEPER_TOKEN_FILE, PUBKEEPER_TOPIC)\n');
  process.exit(2);
}

const brewer = {
  uuid: process.env.BREWER_UUID ?? randomUUID(),
  hostname: process.env.BREWER_HOST ?? hostname(),
  port: Number(process.env.BREWER_PORT ?? 9899),
  protocol: 'udp',
};

const client = new DiscoveryClient({
  url,
  token,
  ...(process.env.PUBKEEPER_TRANSPORT === 'pcp' ? { transport: pcpTransport({ type: 'brewer' }) } : {}),
});
client.on('error', (error) => process.stderr.write(`error: ${error.message}\n`));
client.on('reconnecting', ({ attempt, delayMs, url: next }) => process.stderr.write(`reconnecting to ${next} in ${delayMs} ms (attempt ${attempt})\n`));

let stopping = false;
const stop = (): void => {
  stopping = true;
  // close() unregisters first, then closes 1000; with nothing left open the process ends by itself.
  void client.close().then(() => process.stdout.write(`${JSON.stringify({ event: 'closed', topic, brewer })}\n`));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

// Resolves once the server has the registration (after the first connect, however long that takes).
client.registerBrewer(topic, brewer).then(
  () => process.stdout.write(`${JSON.stringify({ event: 'registered', topic, brewer })}\n`),
  (error: unknown) => {
    if (stopping) return;
    process.stderr.write(`registration refused: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    void client.close();
  },
);
