// An agent that runs commands from controllers (PXP over PCP, protocol/pxp.md), until SIGTERM or
// SIGINT:
//
//   PUBKEEPER_TOKEN=$(npx pubkeeper token --sub node-1 --right 'send:pcp://*/controller') node dist/examples/agent.js
//
// It connects as pcp://<token sub>/agent and prints {"event":"ready","uri":…} on stdout. Module
// `demo` has three actions: `echo` (the params back), `count` {to, delayMs?} (one progress report
// per step; a cancel stops it) and `ask` {question} (a data request to the controller, answered by
// controller.ts's --answer). `status` `query` is built in. The server is ws://127.0.0.1:9898
// unless --url or PUBKEEPER_URL says otherwise; the token comes from --token or PUBKEEPER_TOKEN.
// Built into dist/examples/ by `npm run build`; controller.ts commands it.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { PcpClient, PxpAgent } from '../src/client/index.js';

const { values: flags } = parseArgs({ options: { url: { type: 'string' }, token: { type: 'string' } } });
const url = flags.url ?? process.env.PUBKEEPER_URL ?? 'ws://127.0.0.1:9898';
const token = flags.token ?? process.env.PUBKEEPER_TOKEN;
if (token === undefined) {
  process.stderr.write('usage: agent [--url ws://HOST:PORT] [--token JWT] (or PUBKEEPER_URL, PUBKEEPER_TOKEN)\n');
  process.exit(2);
}

const client = await PcpClient.connect(url, { token, type: 'agent' });
const agent = new PxpAgent(client, { maxConcurrent: 8 });
// A peer is not trusted: what the agent drops, it says why.
agent.on('invalid', (error) => process.stderr.write(`dropped: ${error.message}\n`));

agent.action('demo', 'echo', (params) => params);
agent.action('demo', 'count', async (params, { progress, signal }) => {
  const to = typeof params['to'] === 'number' ? params['to'] : 3;
  const delayMs = typeof params['delayMs'] === 'number' ? params['delayMs'] : 0;
  for (let n = 1; n <= to; n++) {
    signal.throwIfAborted();
    progress({ n, of: to });
    if (delayMs > 0) await sleep(delayMs, undefined, { signal }).catch(() => undefined);
  }
  return { counted: to };
});
agent.action('demo', 'ask', async (params, { requestData }) => {
  const answer = await requestData('answer', { question: params['question'] ?? 'Proceed?' });
  return { answer };
});

client.on('close', (code) => {
  process.stderr.write(`connection closed (${code})\n`);
  process.exitCode = code === 1000 ? 0 : 1;
});
const stop = (): void => void client.close();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdout.write(`${JSON.stringify({ event: 'ready', uri: client.uri })}\n`);
