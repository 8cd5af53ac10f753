// Sends one command to an agent (PXP over PCP, protocol/pxp.md) and prints the results:
//
//   PUBKEEPER_TOKEN=$(npx pubkeeper token --sub ops --right 'send:pcp://*/agent') node dist/examples/controller.js pcp://node-1/agent demo count '{"to":3}'
//
// The arguments are the agent's URI, the module, the action and the params as JSON (default {}).
// It connects as pcp://<token sub>/controller, prints each progress report on stderr as a JSON
// line, the results as JSON on stdout, and exits 0; an RPC error, "Not connected.", unauthorized or
// no answer in --timeout-ms (default 10 000) prints the description on stderr and exits 1. A data
// request from the action is answered with --answer (default null). --non-blocking sends a
// non-blocking request and prints the outcome {jobId, results}. The server is ws://127.0.0.1:9898
// unless --url or PUBKEEPER_URL says otherwise; the token comes from --token or PUBKEEPER_TOKEN.
// Built into dist/examples/ by `npm run build`; agent.ts answers it.
import { parseArgs } from 'node:util';
import { PcpClient, PxpController, PxpError } from '../src/client/index.js';

const { values: flags, positionals } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    answer: { type: 'string' },
    'timeout-ms': { type: 'string' },
    'non-blocking': { type: 'boolean' },
  },
  allowPositionals: true,
});
const url = flags.url ?? process.env.PUBKEEPER_URL ?? 'ws://127.0.0.1:9898';
const token = flags.token ?? process.env.PUBKEEPER_TOKEN;
const [target, module, action, paramsJson] = positionals;
const params: unknown = JSON.parse(paramsJson ?? '{}');
if (token === undefined || target === undefined || module === undefined || action === undefined || positionals.length > 4 || typeof params !== 'object' || params === null || Array.isArray(params)) {
  process.stderr.write('usage: controller [--url ws://HOST:PORT] [--token JWT] [--answer TEXT] [--timeout-ms N] [--non-blocking] TARGET MODULE ACTION [PARAMS_JSON]\n');
  process.exit(2);
}

const client = await PcpClient.connect(url, { token, type: 'controller' });
const controller = new PxpController(client, { timeoutMs: Number(flags['timeout-ms'] ?? 10_000) });
controller.on('invalid', (error) => process.stderr.write(`dropped: ${error.message}\n`));
const options = {
  onProgress: (progress: unknown) => process.stderr.write(`${JSON.stringify({ progress })}\n`),
  onDataRequest: (name: string, data: unknown) => {
    process.stderr.write(`${JSON.stringify({ dataRequest: name, data })}\n`);
    return flags.answer ?? null;
  },
};
try {
  const results = flags['non-blocking']
    ? await controller.start(target, module, action, params as Record<string, unknown>, options).outcome
    : await controller.request(target, module, action, params as Record<string, unknown>, options);
  process.stdout.write(`${JSON.stringify(results)}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof PxpError ? error.description : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await client.close();
}
