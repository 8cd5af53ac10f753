// PXP request/response (CONTRACT §9, protocol/pxp.md) between an SDK agent and an SDK controller,
// through a real server over real sockets.
import { describe, expect, it } from 'vitest';
import { PxpAgent } from '../../../src/client/pxpAgent.js';
import { PxpController, PxpNotConnectedError, type PxpRpcError, PxpTimeoutError, PxpUnauthorizedError, type PxpJob } from '../../../src/client/pxpController.js';
import { MessageType } from '../../../src/protocol/pcp/message.js';
import { CANCELLED, PxpType } from '../../../src/protocol/pxp/messages.js';
import type { InventoryChange } from '../../../src/client/inbound.js';
import { nextEvent } from '../../helpers/nextEvent.js';
import { nextMessage, recordMessages, uuid } from '../../helpers/pcp.js';
import { AGENT, CONTROLLER, gate, nextInvalid, pxpPair } from './helpers.js';

const rpcError = (description: string | RegExp): PxpRpcError => expect.objectContaining({ name: 'PxpRpcError', description: expect.stringMatching(description) }) as PxpRpcError;

describe('PXP: blocking and non-blocking requests', () => {
  it('a blocking request resolves with the action results; the action sees params, the transaction id and the sender', async () => {
    const { agent, controller } = await pxpPair();
    const seen: unknown[] = [];
    agent.action('echo', 'say', (params, ctx) => {
      seen.push([ctx.transactionId.length > 0, ctx.sender]);
      return { said: params['text'] };
    });
    expect(await controller.request(AGENT, 'echo', 'say', { text: 'hi' })).toEqual({ said: 'hi' });
    expect(seen).toEqual([[true, CONTROLLER]]);
  });

  it('non-blocking: provisional response, status running, the outcome with a job id, then status success', async () => {
    const { agent, controller } = await pxpPair();
    const release = gate();
    agent.action('pkg', 'install', async (params) => {
      await release.promise;
      return { installed: params['name'] };
    });
    const job = controller.start(AGENT, 'pkg', 'install', { name: 'tree' });
    await job.started;
    expect(await controller.status(AGENT, job.transactionId)).toEqual({ transaction_id: job.transactionId, status: 'running' });
    release.open();
    expect(await job.outcome).toEqual({ jobId: '1', results: { installed: 'tree' } });
    expect(await controller.status(AGENT, job.transactionId)).toEqual({ transaction_id: job.transactionId, status: 'success' });
    // Job ids are unique per agent; a transaction it never saw is unknown.
    expect((await controller.start(AGENT, 'pkg', 'install', { name: 'vim' }).outcome)?.jobId).toBe('2');
    expect((await controller.status(AGENT, 'never-seen')).status).toBe('unknown');
  });

  it('non-blocking without notify_outcome: started, no outcome message, and status tells success', async () => {
    const { agent, controller } = await pxpPair();
    const done = gate();
    agent.action('a', 'b', () => {
      done.open();
      return {};
    });
    const job = controller.start(AGENT, 'a', 'b', undefined, { notifyOutcome: false });
    expect(await job.outcome).toBeUndefined();
    await done.promise;
    expect((await controller.status(AGENT, job.transactionId)).status).toBe('success');
  });

  it('unknown module, unknown action, a failing action and results that are not an object are RPC errors; a failed non-blocking one has status failure', async () => {
    const { agent, controller } = await pxpPair();
    agent.action('m', 'boom', () => {
      throw new Error('disk full');
    });
    agent.action('m', 'list', () => [1, 2]);
    await expect(controller.request(AGENT, 'nope', 'x')).rejects.toEqual(rpcError('Unknown module: nope'));
    await expect(controller.request(AGENT, 'm', 'nope')).rejects.toEqual(rpcError('Unknown action: m nope'));
    await expect(controller.request(AGENT, 'm', 'boom')).rejects.toEqual(rpcError('disk full'));
    await expect(controller.request(AGENT, 'm', 'list')).rejects.toEqual(rpcError('not a JSON object'));
    const job = controller.start(AGENT, 'm', 'boom');
    await expect(job.outcome).rejects.toEqual(rpcError('disk full'));
    expect((await controller.status(AGENT, job.transactionId)).status).toBe('failure');
  });
});

describe('PXP: progress, cancel, data requests', () => {
  it('progress reports reach onProgress and the job, in order, before the results', async () => {
    const { agent, controller } = await pxpPair();
    agent.action('m', 'steps', (_params, ctx) => {
      for (const step of [1, 2, 3]) ctx.progress({ step });
      return { steps: 3 };
    });
    const progress: unknown[] = [];
    expect(await controller.request(AGENT, 'm', 'steps', {}, { onProgress: (p) => progress.push(p) })).toEqual({ steps: 3 });
    expect(progress).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }]);
    const job: PxpJob = controller.start(AGENT, 'm', 'steps');
    const onJob: unknown[] = [];
    job.on('progress', (p) => onJob.push(p));
    await job.outcome;
    expect(onJob).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }]);
  });

  it('cancel aborts the action signal, the controller gets "Cancelled." once, and the results are never sent', async () => {
    const { agent, controller } = await pxpPair();
    const aborted = gate<unknown>();
    agent.action('m', 'long', async (_params, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      aborted.open(ctx.signal.reason);
      return { late: true };
    });
    agent.action('m', 'ping', () => ({ pong: true }));
    const seen = recordMessages(controller.client);
    const job = controller.start(AGENT, 'm', 'long');
    await job.started;
    job.cancel();
    await expect(job.outcome).rejects.toEqual(rpcError(CANCELLED));
    expect(await aborted.promise).toEqual(new Error(CANCELLED));
    // A later request answered is the sync point: nothing about the cancelled one came after.
    await controller.request(AGENT, 'm', 'ping');
    const about = seen.filter((m) => (m.data as { transaction_id?: string } | undefined)?.transaction_id === job.transactionId);
    expect(about.map((m) => m.message_type)).toEqual([PxpType.PROVISIONAL_RESPONSE, PxpType.RPC_ERROR]);
    expect((await controller.status(AGENT, job.transactionId)).status).toBe('failure');
  });

  it('a blocking request is cancelled through its AbortSignal', async () => {
    const { agent, controller } = await pxpPair();
    const started = gate();
    agent.action('m', 'long', (_params, ctx) => {
      started.open();
      return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({})));
    });
    const abort = new AbortController();
    const call = controller.request(AGENT, 'm', 'long', {}, { signal: abort.signal });
    await started.promise;
    abort.abort();
    await expect(call).rejects.toEqual(rpcError(CANCELLED));
  });

  it('only the controller that started a transaction may cancel it', async () => {
    const { t, agent, controller } = await pxpPair();
    const release = gate();
    let txid = '';
    agent.action('m', 'long', async (_params, ctx) => {
      txid = ctx.transactionId;
      await release.promise;
      return { aborted: ctx.signal.aborted };
    });
    const job = controller.start(AGENT, 'm', 'long');
    await job.started;
    const other = await t.pcp('mallory', ['send:pcp://*/agent'], { type: 'controller' });
    const report = nextInvalid(agent);
    other.send(AGENT, PxpType.CANCEL, { transaction_id: txid });
    expect((await report).message).toMatch(/no running transaction of pcp:\/\/mallory\/controller/);
    release.open();
    expect(await job.outcome).toMatchObject({ results: { aborted: false } });
  });

  it('a data request goes to the controller, whose onDataRequest answer the action awaits', async () => {
    const { agent, controller } = await pxpPair();
    agent.action('db', 'migrate', async (_params, ctx) => {
      const password = await ctx.requestData('password', { prompt: 'Database password?' });
      return { used: password };
    });
    const asked: unknown[] = [];
    const results = await controller.request(AGENT, 'db', 'migrate', {}, {
      onDataRequest: (name, data) => {
        asked.push([name, data]);
        return 's3cret';
      },
    });
    expect(results).toEqual({ used: 's3cret' });
    expect(asked).toEqual([['password', { prompt: 'Database password?' }]]);
  });
});

describe('PXP: failures between the two', () => {
  it('no answer within timeoutMs rejects PxpTimeoutError, and the agent is sent a cancel', async () => {
    const { agent, controller } = await pxpPair();
    const aborted = gate();
    agent.action('m', 'stuck', (_params, ctx) => {
      ctx.signal.addEventListener('abort', () => aborted.open());
      return new Promise(() => undefined);
    });
    const error = await controller.request(AGENT, 'm', 'stuck', {}, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PxpTimeoutError);
    expect((error as PxpTimeoutError).code).toBe('TIMEOUT');
    await aborted.promise;
  });

  it('an agent that disconnects mid-action: the pending call times out, and a later status query is "Not connected."', async () => {
    const { t, agent, controller } = await pxpPair();
    agent.action('m', 'long', () => new Promise(() => undefined));
    const job = controller.start(AGENT, 'm', 'long', {}, { timeoutMs: 300 });
    await job.started;
    // The broker's inventory says when the agent is gone (the sync point; no sleep).
    const watcher = await t.pcp('watcher', ['inventory:pcp://*/*']);
    await watcher.inventory(['pcp://*/agent'], { subscribe: true });
    const gone = nextEvent<InventoryChange[]>(watcher, 'inventoryUpdate', (changes) => changes.some((c) => c.client === AGENT && c.change === -1), 5000, 'agent leaving');
    await agent.client.close();
    await gone;
    await expect(job.outcome).rejects.toBeInstanceOf(PxpTimeoutError);
    const error = await controller.status(AGENT, job.transactionId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PxpNotConnectedError);
    expect(error).toMatchObject({ description: 'Not connected.', code: 'NOT_CONNECTED' });
  });

  it('a target without a send right is unauthorized; one not connected is "Not connected."', async () => {
    const { t } = await pxpPair();
    const limited = new PxpController(await t.pcp('limited', ['send:pcp://*/printer'], { type: 'controller' }));
    await expect(limited.request(AGENT, 'm', 'x')).rejects.toBeInstanceOf(PxpUnauthorizedError);
    await expect(limited.request('pcp://gone/printer', 'm', 'x')).rejects.toBeInstanceOf(PxpNotConnectedError);
  });

  it('a request whose data is missing or invalid: the agent answers a PCP error_message to the request and reports it', async () => {
    const { agent, controller } = await pxpPair();
    const raw = controller.client;
    for (const data of [undefined, 'text', { transaction_id: 't1', module: 'm' }, { transaction_id: 't1', module: 'm', action: 'a', extra: 1 }]) {
      const report = nextInvalid(agent);
      const id = uuid();
      const answer = nextMessage(raw, (m) => m.in_reply_to === id);
      raw.sendRaw(JSON.stringify({ id, message_type: PxpType.BLOCKING_REQUEST, target: AGENT, ...(data !== undefined ? { data } : {}) }));
      const error = await answer;
      expect(error).toMatchObject({ message_type: MessageType.ERROR, sender: AGENT, data: expect.stringMatching(/^invalid http:\/\/puppetlabs.com\/rpc_blocking_request data/) });
      expect((await report).code).toBe('INVALID_PAYLOAD');
    }
    // The agent goes on answering well-formed requests.
    agent.action('m', 'a', () => ({}));
    expect(await controller.request(AGENT, 'm', 'a')).toEqual({});
  });

  it("the agent's PCP error_message about a request rejects the call as PxpRpcError; one from another peer is reported", async () => {
    const { t, controller } = await pxpPair();
    const handPlayed = await t.pcp('node-2', ['send:pcp://*/controller']);
    const mallory = await t.pcp('mallory', ['send:pcp://*/controller']);
    const request = nextMessage(handPlayed, (m) => m.message_type === PxpType.BLOCKING_REQUEST);
    const call = controller.request('pcp://node-2/agent', 'm', 'a');
    const { id } = await request;
    const report = nextInvalid(controller);
    mallory.send(CONTROLLER, MessageType.ERROR, 'forged', id);
    expect(await report).toMatchObject({ code: 'SENDER_MISMATCH', message: expect.stringMatching(/from pcp:\/\/mallory\/agent ignored/) });
    handPlayed.send(CONTROLLER, MessageType.ERROR, 'invalid data chunk', id);
    await expect(call).rejects.toEqual(rpcError('invalid data chunk'));
  });

  it('garbage to the controller is dropped and reported; the pending request is unaffected', async () => {
    const { t, agent, controller } = await pxpPair();
    const release = gate();
    const txid = gate<string>();
    agent.action('m', 'long', async (_params, ctx) => {
      txid.open(ctx.transactionId);
      await release.promise;
      return { ok: true };
    });
    const call = controller.request(AGENT, 'm', 'long');
    const transactionId = await txid.promise;
    const mallory = await t.pcp('mallory', ['send:pcp://*/controller']);
    // Another peer claims the answer.
    let report = nextInvalid(controller);
    mallory.send(CONTROLLER, PxpType.BLOCKING_RESPONSE, { transaction_id: transactionId, results: { forged: true } });
    expect(await report).toMatchObject({ code: 'SENDER_MISMATCH' });
    // The agent's own connection sends malformed data, an unknown transaction and a misplaced answer.
    const fromAgent = agent.client;
    report = nextInvalid(controller);
    fromAgent.send(CONTROLLER, PxpType.BLOCKING_RESPONSE, { transaction_id: transactionId, results: 'nope' });
    expect(await report).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/results/) });
    report = nextInvalid(controller);
    fromAgent.send(CONTROLLER, PxpType.RPC_ERROR, { transaction_id: 'other', id: 'x', description: 'no' });
    expect((await report).message).toMatch(/no such transaction pending/);
    report = nextInvalid(controller);
    fromAgent.send(CONTROLLER, PxpType.NON_BLOCKING_RESPONSE, { transaction_id: transactionId, job_id: '9', results: {} });
    expect((await report).message).toMatch(/not an answer to a blocking request/);
    report = nextInvalid(controller);
    fromAgent.send(CONTROLLER, PxpType.DATA_REQUEST, { transaction_id: transactionId, name: 'x', data: 1 });
    expect((await report).message).toMatch(/no onDataRequest/);
    release.open();
    expect(await call).toEqual({ ok: true });
  });
});

describe('PXP: caps', () => {
  it('more concurrent actions than maxConcurrent: the excess gets a clear RPC error', async () => {
    const { agent, controller } = await pxpPair({ maxConcurrent: 1 });
    const release = gate();
    agent.action('m', 'long', async () => {
      await release.promise;
      return {};
    });
    const first = controller.start(AGENT, 'm', 'long');
    await first.started;
    await expect(controller.request(AGENT, 'm', 'long')).rejects.toEqual(rpcError(/Too many actions running \(the agent's limit is 1\)/));
    // status query is built in and never refused for the cap.
    expect((await controller.status(AGENT, first.transactionId)).status).toBe('running');
    release.open();
    await first.outcome;
  });

  it('remembered transactions: the oldest finished is forgotten first; all running refuses a new one', async () => {
    const { agent, controller } = await pxpPair({ maxTransactions: 1 });
    const release = gate();
    agent.action('m', 'long', async () => {
      await release.promise;
      return {};
    });
    const first = controller.start(AGENT, 'm', 'long');
    await first.started;
    await expect(controller.start(AGENT, 'm', 'long').outcome).rejects.toEqual(rpcError(/Too many transactions running \(the agent remembers at most 1\)/));
    release.open();
    await first.outcome;
    const second = controller.start(AGENT, 'm', 'long');
    await second.outcome;
    expect((await controller.status(AGENT, first.transactionId)).status).toBe('unknown');
    expect((await controller.status(AGENT, second.transactionId)).status).toBe('success');
  });

  it("a data request nobody answers: the controller reports it, the action's requestData rejects after dataTimeoutMs", async () => {
    const { agent, controller } = await pxpPair({ dataTimeoutMs: 100 });
    agent.action('m', 'ask', async (_params, ctx) => ({ got: await ctx.requestData('x', 1) }));
    const report = nextInvalid(controller);
    await expect(controller.request(AGENT, 'm', 'ask')).rejects.toEqual(rpcError('No data response for x within 100 ms.'));
    expect((await report).message).toMatch(/no onDataRequest/);
  });

  it("the controller's maxPending: a call beyond it rejects LIMIT_EXCEEDED at once", async () => {
    const { agent, controller } = await pxpPair({}, { maxPending: 1 });
    const release = gate();
    agent.action('m', 'long', async () => {
      await release.promise;
      return {};
    });
    const first = controller.request(AGENT, 'm', 'long');
    await expect(controller.request(AGENT, 'm', 'long')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', description: expect.stringMatching(/limit is 1/) });
    release.open();
    expect(await first).toEqual({});
  });

  it('the agent refuses bad caps', () => {
    expect(() => new PxpAgent({} as never, { maxConcurrent: 0 })).toThrow('maxConcurrent must be a positive integer');
  });
});
