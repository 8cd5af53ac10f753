// A subscriber that stays subscribed through server restarts and token expiry, printing one JSON
// line per brewer that appears or goes:
//
//   PUBKEEPER_TOKEN=$(npx pubkeeper token --sub dash --right 'subscribe:**') node dist/examples/subscriber.js 'sensors.**'
//
// The one argument is the pattern (default **, or PUBKEEPER_PATTERN). The server is
// ws://127.0.0.1:9898/ws unless --url or PUBKEEPER_URL says otherwise; the token comes from --token
// or PUBKEEPER_TOKEN, or with PUBKEEPER_TOKEN_FILE is re-read from that file on every connect and
// refresh, so rotating the file renews it. PUBKEEPER_TRANSPORT=pcp speaks PCP v2 instead (then the
// URL is ws://host:port). Built into dist/examples/ by `npm run build`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DiscoveryClient, pcpTransport, type BrewerEventArgs, type TokenProvider } from '../src/client/index.js';

const { values: flags, positionals } = parseArgs({ options: { url: { type: 'string' }, token: { type: 'string' } }, allowPositionals: true });
const url = flags.url ?? process.env.PUBKEEPER_URL ?? 'ws://127.0.0.1:9898/ws';
const pattern = positionals[0] ?? process.env.PUBKEEPER_PATTERN ?? '**';
const tokenFile = process.env.PUBKEEPER_TOKEN_FILE;
const fixedToken = flags.token ?? process.env.PUBKEEPER_TOKEN;
const token: string | TokenProvider | undefined = tokenFile ? () => readFileSync(tokenFile, 'utf8').trim() : fixedToken;
if (token === undefined || positionals.length > 1) {
  process.stderr.write('usage: subscriber [--url ws://HOST:PORT/ws] [--token JWT] [pattern] (or PUBKEEPER_URL, PUBKEEPER_TOKEN / PUBKEEPER_TOKEN_FILE, PUBKEEPER_PATTERN)\n');
  process.exit(2);
}

const client = new DiscoveryClient({
  url,
  token,
  ...(process.env.PUBKEEPER_TRANSPORT === 'pcp' ? { transport: pcpTransport({ type: 'subscriber' }) } : {}),
});

const print = (event: 'added' | 'removed') => ({ topic, brewer }: BrewerEventArgs): void => {
  process.stdout.write(`${JSON.stringify({ event, topic, brewer })}\n`);
};
client.on('brewerAdded', print('added'));
client.on('brewerRemoved', print('removed'));
// Diagnostics go to stderr, so stdout stays one JSON line per change.
client.on('error', (error) => process.stderr.write(`error: ${error.message}\n`));
client.on('reconnecting', ({ attempt, delayMs, url: next }) => process.stderr.write(`reconnecting to ${next} in ${delayMs} ms (attempt ${attempt})\n`));

let stopping = false;
const stop = (): void => {
  stopping = true;
  void client.close().then(() => process.stderr.write('closed\n'));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

// Resolves once the current brewers have been printed; the open session keeps the process alive.
client.subscribe(pattern).then(
  () => process.stderr.write(`subscribed to ${pattern}\n`),
  (error: unknown) => {
    if (stopping) return;
    process.stderr.write(`subscription refused: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    void client.close();
  },
);
