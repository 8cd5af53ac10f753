// PXP across PCP versions (issue 14): the broker translates v1 ↔ v2, so a hand-played v1 peer
// (test/helpers/pcp.ts's V1Client, sending and reading the same PXP messages) talks to the SDK's
// v2 agent and controller.
import { describe, expect, it } from 'vitest';
import { PxpAgent } from '../../../src/client/pxpAgent.js';
import { PxpController } from '../../../src/client/pxpController.js';
import { MessageType } from '../../../src/protocol/pcp/message.js';
import { CANCELLED, PxpType } from '../../../src/protocol/pxp/messages.js';
import { V1Client, uuid } from '../../helpers/pcp.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { gate } from './helpers.js';

async function v1(t: TestServer, sub: string, type: string, rights: string[]): Promise<V1Client> {
  const client = await V1Client.connect(t.base, t.keys.mint(sub, rights), sub, type);
  const id = client.send({ id: uuid(), message_type: MessageType.ASSOCIATE_REQUEST, targets: ['pcp:///server'] });
  await client.next((m) => m.message_type === MessageType.ASSOCIATE_RESPONSE && m.in_reply_to === id);
  return client;
}

const about = (transactionId: string, type: string) => (m: { message_type: string; data?: unknown }) =>
  m.message_type === type && (m.data as { transaction_id?: unknown } | undefined)?.transaction_id === transactionId;

describe('PXP between PCP versions', () => {
  it('v2 SDK controller → v1 agent: a blocking request and a non-blocking one with progress', async () => {
    const t = await startTestServer();
    const agent = await v1(t, 'old-node', 'agent', ['send:pcp://*/controller']);
    const controller = new PxpController(await t.pcp('ops', ['send:pcp://*/agent'], { type: 'controller' }));

    const call = controller.request('pcp://old-node/agent', 'echo', 'say', { text: 'hi' });
    const request = await agent.next((m) => m.message_type === PxpType.BLOCKING_REQUEST);
    expect(request).toMatchObject({ sender: 'pcp://ops/controller', data: { module: 'echo', action: 'say', params: { text: 'hi' } } });
    const { transaction_id: tx } = request.data as { transaction_id: string };
    agent.send({ id: uuid(), message_type: PxpType.BLOCKING_RESPONSE, target: 'pcp://ops/controller', in_reply_to: request.id, data: { transaction_id: tx, results: { said: 'hi' } } });
    expect(await call).toEqual({ said: 'hi' });

    const progress: unknown[] = [];
    const job = controller.start('pcp://old-node/agent', 'pkg', 'install', {}, { onProgress: (p) => progress.push(p) });
    const nb = await agent.next((m) => m.message_type === PxpType.NON_BLOCKING_REQUEST);
    expect(nb.data).toMatchObject({ transaction_id: job.transactionId, notify_outcome: true });
    const reply = (message_type: string, data: unknown): void => void agent.send({ id: uuid(), message_type, target: 'pcp://ops/controller', data });
    reply(PxpType.PROVISIONAL_RESPONSE, { transaction_id: job.transactionId });
    await job.started;
    reply(PxpType.PROGRESS, { transaction_id: job.transactionId, progress: 50 });
    reply(PxpType.NON_BLOCKING_RESPONSE, { transaction_id: job.transactionId, job_id: 'j1', results: { done: true } });
    expect(await job.outcome).toEqual({ jobId: 'j1', results: { done: true } });
    expect(progress).toEqual([50]);
  });

  it('v1 controller → v2 SDK agent: blocking, non-blocking with outcome, a data request, cancel and invalid data', async () => {
    const t = await startTestServer();
    const agent = new PxpAgent(await t.pcp('node-1', ['send:pcp://*/controller']));
    const controller = await v1(t, 'old-ops', 'controller', ['send:pcp://*/agent']);
    const send = (message_type: string, data: unknown): string => controller.send({ id: uuid(), message_type, target: 'pcp://node-1/agent', ...(data !== undefined ? { data } : {}) });
    agent.action('echo', 'say', (params) => ({ said: params['text'] }));
    agent.action('db', 'migrate', async (_p, ctx) => ({ used: await ctx.requestData('password', null) }));
    const release = gate();
    agent.action('m', 'long', (_p, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => (release.open(), resolve({})))));

    send(PxpType.BLOCKING_REQUEST, { transaction_id: 't1', module: 'echo', action: 'say', params: { text: 'hi' } });
    expect((await controller.next(about('t1', PxpType.BLOCKING_RESPONSE))).data).toEqual({ transaction_id: 't1', results: { said: 'hi' } });

    send(PxpType.NON_BLOCKING_REQUEST, { transaction_id: 't2', module: 'echo', action: 'say', params: { text: 'later' }, notify_outcome: true });
    await controller.next(about('t2', PxpType.PROVISIONAL_RESPONSE));
    expect((await controller.next(about('t2', PxpType.NON_BLOCKING_RESPONSE))).data).toEqual({ transaction_id: 't2', job_id: '1', results: { said: 'later' } });
    send(PxpType.BLOCKING_REQUEST, { transaction_id: 't3', module: 'status', action: 'query', params: { transaction_id: 't2' } });
    expect((await controller.next(about('t3', PxpType.BLOCKING_RESPONSE))).data).toEqual({ transaction_id: 't3', results: { transaction_id: 't2', status: 'success' } });

    send(PxpType.BLOCKING_REQUEST, { transaction_id: 't4', module: 'db', action: 'migrate' });
    expect((await controller.next(about('t4', PxpType.DATA_REQUEST))).data).toEqual({ transaction_id: 't4', name: 'password', data: null });
    send(PxpType.DATA_RESPONSE, { transaction_id: 't4', name: 'password', data: 'pw' });
    expect((await controller.next(about('t4', PxpType.BLOCKING_RESPONSE))).data).toEqual({ transaction_id: 't4', results: { used: 'pw' } });

    const longId = send(PxpType.BLOCKING_REQUEST, { transaction_id: 't5', module: 'm', action: 'long' });
    send(PxpType.CANCEL, { transaction_id: 't5' });
    expect((await controller.next(about('t5', PxpType.RPC_ERROR))).data).toEqual({ transaction_id: 't5', id: longId, description: CANCELLED });
    await release.promise;

    const badId = send(PxpType.BLOCKING_REQUEST, { module: 'echo' });
    const error = await controller.next((m) => m.message_type === MessageType.ERROR && m.in_reply_to === badId);
    // A peer's message is routed unchanged: the v2 agent's error_message data stays its description string.
    expect(error).toMatchObject({ sender: 'pcp://node-1/agent', data: expect.stringMatching(/^invalid http:\/\/puppetlabs.com\/rpc_blocking_request data: transaction_id/) });
  });
});
