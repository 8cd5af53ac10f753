// The agent side of PXP 1.0 request/response over PCP (CONTRACT §9, protocol/pxp.md): actions
// registered as async functions, answered as pxp-agent answers them, plus our pubkeeper/rpc_*
// steps (progress, cancel, data requests). Every inbound message is checked; a malformed or
// unexpected one is reported on 'invalid' and dropped, never thrown.
import { EventEmitter } from 'node:events';
import { BROKER_URI, MessageType } from '../protocol/pcp/message.js';
import {
  CANCELLED,
  PxpType,
  STATUS_ACTION,
  STATUS_MODULE,
  parsePxpData,
  statusQueryParamsSchema,
  type StatusQueryResults,
  type TransactionStatus,
} from '../protocol/pxp/messages.js';
import { InvalidMessageError, type PcpV2Message } from './inbound.js';
import type { PcpClient } from './pcpClient.js';

/** What an action gets besides its params. */
export interface PxpActionContext {
  /** The request's transaction id. */
  readonly transactionId: string;
  /** The controller's URI (set by the broker). */
  readonly sender: string;
  /** Aborts when the controller cancels the transaction, or the agent closes. */
  readonly signal: AbortSignal;
  /** Sends `pubkeeper/rpc_progress` to the controller (any JSON value but undefined). */
  progress(value: unknown): void;
  /**
   * Sends `pubkeeper/rpc_data_request` and resolves with the data of the controller's
   * `pubkeeper/rpc_data_response` of that name; rejects on cancel, on the agent's data timeout, or
   * when too many are pending.
   */
  requestData(name: string, data: unknown): Promise<unknown>;
}

/** An action: params in, results out (a JSON object). A throw or rejection is an RPC error. */
export type PxpAction = (params: Record<string, unknown>, ctx: PxpActionContext) => unknown;

export interface PxpAgentOptions {
  /** Actions running at once; a request beyond it gets an RPC error. Default 16. */
  maxConcurrent?: number;
  /**
   * Non-blocking transactions remembered for `status` `query`; the oldest finished one is
   * forgotten first, and when every one is still running a new one gets an RPC error. Default 1000.
   */
  maxTransactions?: number;
  /** Data requests one action may have pending at once. Default 16. */
  maxDataRequests?: number;
  /** How long `requestData` waits for the controller. Default 30 000 ms. */
  dataTimeoutMs?: number;
}

export interface PxpAgentEvents {
  /** An inbound PXP message dropped (or answered with a PCP error_message) instead of acted on. */
  invalid: [InvalidMessageError];
}

interface Running {
  key: string;
  transactionId: string;
  sender: string;
  requestId: string;
  abort: AbortController;
  /** Set once the transaction has had its final answer (results, error or "Cancelled."). */
  answered: boolean;
  dataRequests: Map<string, { resolve: (data: unknown) => void; reject: (error: Error) => void }>;
}

const REQUEST_TYPES: ReadonlySet<string> = new Set([PxpType.BLOCKING_REQUEST, PxpType.NON_BLOCKING_REQUEST]);

/**
 * Answers PXP requests that reach a connected PcpClient. A controller's transactions are keyed by
 * its URI and transaction id: only the controller that started a transaction may cancel it, answer
 * its data requests or query its status.
 */
export class PxpAgent extends EventEmitter<PxpAgentEvents> {
  private readonly modules = new Map<string, Map<string, PxpAction>>();
  private readonly running = new Map<string, Running>();
  /** Non-blocking transactions by key, oldest first. */
  private readonly transactions = new Map<string, TransactionStatus>();
  private readonly maxConcurrent: number;
  private readonly maxTransactions: number;
  private readonly maxDataRequests: number;
  private readonly dataTimeoutMs: number;
  private jobs = 0;
  private readonly onMessage = (message: PcpV2Message): void => this.receive(message);
  private readonly onClose = (): void => this.stopAll('The agent closed.');

  constructor(
    readonly client: PcpClient,
    options: PxpAgentOptions = {},
  ) {
    super();
    this.maxConcurrent = positive(options.maxConcurrent ?? 16, 'maxConcurrent');
    this.maxTransactions = positive(options.maxTransactions ?? 1000, 'maxTransactions');
    this.maxDataRequests = positive(options.maxDataRequests ?? 16, 'maxDataRequests');
    this.dataTimeoutMs = positive(options.dataTimeoutMs ?? 30_000, 'dataTimeoutMs');
    client.on('message', this.onMessage);
    client.on('close', this.onClose);
  }

  /** Registers (or replaces) an action. `status` `query` is built in and cannot be replaced. */
  action(module: string, action: string, run: PxpAction): this {
    if (module === STATUS_MODULE && action === STATUS_ACTION) throw new TypeError('status query is built into PxpAgent');
    let actions = this.modules.get(module);
    if (!actions) this.modules.set(module, (actions = new Map()));
    actions.set(action, run);
    return this;
  }

  /** Stops listening; running actions are aborted and get no answer. */
  detach(): void {
    this.client.off('message', this.onMessage);
    this.client.off('close', this.onClose);
    this.stopAll('The agent stopped.');
  }

  private receive(message: PcpV2Message): void {
    const { sender } = message;
    if (sender === undefined || sender === BROKER_URI) return;
    if (REQUEST_TYPES.has(message.message_type)) return this.request(message, sender);
    if (message.message_type === PxpType.CANCEL) return this.cancel(message, sender);
    if (message.message_type === PxpType.DATA_RESPONSE) return this.dataResponse(message, sender);
    // Anything else is not for the agent: apps use PCP for their own messages.
  }

  private request(message: PcpV2Message, sender: string): void {
    const nonBlocking = message.message_type === PxpType.NON_BLOCKING_REQUEST;
    const parsed = nonBlocking ? parsePxpData(PxpType.NON_BLOCKING_REQUEST, message.data) : parsePxpData(PxpType.BLOCKING_REQUEST, message.data);
    if (!parsed.ok) {
      // No transaction id can be trusted: PXP answers with a PCP error_message.
      this.report('INVALID_PAYLOAD', parsed.reason, message);
      this.send(sender, MessageType.ERROR, parsed.reason, message.id);
      return;
    }
    const { transaction_id: transactionId, module, action, params } = parsed.value;
    const fail = (description: string): void => this.send(sender, PxpType.RPC_ERROR, { transaction_id: transactionId, id: message.id, description });
    const key = `${sender} ${transactionId}`;
    if (module === STATUS_MODULE && action === STATUS_ACTION) return this.statusQuery(message, sender, transactionId, params, nonBlocking, fail);
    const actions = this.modules.get(module);
    if (!actions) return fail(`Unknown module: ${module}`);
    const run = actions.get(action);
    if (!run) return fail(`Unknown action: ${module} ${action}`);
    if (this.running.has(key) || this.transactions.has(key)) return fail(`Transaction ${transactionId} already exists.`);
    if (this.running.size >= this.maxConcurrent) return fail(`Too many actions running (the agent's limit is ${this.maxConcurrent}).`);
    if (nonBlocking && !this.makeRoom()) return fail(`Too many transactions running (the agent remembers at most ${this.maxTransactions}).`);
    const running: Running = { key, transactionId, sender, requestId: message.id, abort: new AbortController(), answered: false, dataRequests: new Map() };
    this.running.set(key, running);
    let jobId = '';
    if (nonBlocking) {
      jobId = String(++this.jobs);
      this.transactions.set(key, 'running');
      this.send(sender, PxpType.PROVISIONAL_RESPONSE, { transaction_id: transactionId }, message.id);
    }
    const notify = 'notify_outcome' in parsed.value && parsed.value.notify_outcome === true;
    void this.execute(running, run, params ?? {}, nonBlocking ? { jobId, notify } : undefined);
  }

  private async execute(running: Running, run: PxpAction, params: Record<string, unknown>, nonBlocking: { jobId: string; notify: boolean } | undefined): Promise<void> {
    const { transactionId, requestId } = running;
    let status: TransactionStatus = 'failure';
    try {
      const results = await run(params, this.context(running));
      if (running.answered) return;
      if (!isJsonObject(results)) {
        this.finish(running, PxpType.RPC_ERROR, { transaction_id: transactionId, id: requestId, description: 'The action returned results that are not a JSON object.' });
        return;
      }
      status = 'success';
      if (!nonBlocking) this.finish(running, PxpType.BLOCKING_RESPONSE, { transaction_id: transactionId, results });
      else if (nonBlocking.notify) this.finish(running, PxpType.NON_BLOCKING_RESPONSE, { transaction_id: transactionId, job_id: nonBlocking.jobId, results });
      else running.answered = true;
    } catch (error) {
      if (running.answered) return;
      const description = error instanceof Error ? error.message : String(error);
      this.finish(running, PxpType.RPC_ERROR, { transaction_id: transactionId, id: requestId, description: description || 'The action failed.' });
    } finally {
      this.running.delete(running.key);
      for (const pending of running.dataRequests.values()) pending.reject(new Error('The action ended.'));
      running.dataRequests.clear();
      if (nonBlocking && this.transactions.has(running.key)) this.transactions.set(running.key, running.abort.signal.aborted ? 'failure' : status);
    }
  }

  private finish(running: Running, type: string, data: unknown): void {
    running.answered = true;
    this.send(running.sender, type, data, running.requestId);
  }

  private context(running: Running): PxpActionContext {
    const { transactionId, sender, abort } = running;
    return {
      transactionId,
      sender,
      signal: abort.signal,
      progress: (value: unknown) => {
        if (value === undefined) throw new TypeError('progress needs a JSON value');
        if (!running.answered) this.send(sender, PxpType.PROGRESS, { transaction_id: transactionId, progress: value });
      },
      requestData: (name: string, data: unknown) => this.requestData(running, name, data),
    };
  }

  private requestData(running: Running, name: string, data: unknown): Promise<unknown> {
    if (running.answered || running.abort.signal.aborted) return Promise.reject(new Error('The transaction is over.'));
    if (running.dataRequests.has(name)) return Promise.reject(new Error(`A data request named ${name} is already pending.`));
    if (running.dataRequests.size >= this.maxDataRequests) return Promise.reject(new Error(`Too many data requests pending (the agent's limit is ${this.maxDataRequests}).`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(() => reject(new Error(`No data response for ${name} within ${this.dataTimeoutMs} ms.`))), this.dataTimeoutMs);
      const settle = (then: () => void): void => {
        clearTimeout(timer);
        running.dataRequests.delete(name);
        then();
      };
      running.dataRequests.set(name, { resolve: (value) => settle(() => resolve(value)), reject: (error) => settle(() => reject(error)) });
      this.send(running.sender, PxpType.DATA_REQUEST, { transaction_id: running.transactionId, name, data: data ?? null });
    });
  }

  private statusQuery(message: PcpV2Message, sender: string, transactionId: string, params: Record<string, unknown> | undefined, nonBlocking: boolean, fail: (d: string) => void): void {
    const query = statusQueryParamsSchema.safeParse(params ?? {});
    if (!query.success) return fail('status query needs params {transaction_id}.');
    const asked = query.data.transaction_id;
    const results: StatusQueryResults = { transaction_id: asked, status: this.transactions.get(`${sender} ${asked}`) ?? 'unknown' };
    if (!nonBlocking) return this.send(sender, PxpType.BLOCKING_RESPONSE, { transaction_id: transactionId, results }, message.id);
    // A non-blocking status query is answered at once: it has nothing to run.
    this.send(sender, PxpType.PROVISIONAL_RESPONSE, { transaction_id: transactionId }, message.id);
    const data = message.data as { notify_outcome: boolean };
    if (data.notify_outcome) this.send(sender, PxpType.NON_BLOCKING_RESPONSE, { transaction_id: transactionId, job_id: String(++this.jobs), results }, message.id);
  }

  private cancel(message: PcpV2Message, sender: string): void {
    const parsed = parsePxpData(PxpType.CANCEL, message.data);
    if (!parsed.ok) return this.report('INVALID_PAYLOAD', parsed.reason, message);
    const running = this.running.get(`${sender} ${parsed.value.transaction_id}`);
    // Keyed by sender: another controller's cancel finds nothing.
    if (!running || running.answered) return this.report('INVALID_PAYLOAD', `${PxpType.CANCEL} for ${parsed.value.transaction_id}: no running transaction of ${sender}`, message);
    this.finish(running, PxpType.RPC_ERROR, { transaction_id: running.transactionId, id: running.requestId, description: CANCELLED });
    running.abort.abort(new Error(CANCELLED));
    for (const pending of running.dataRequests.values()) pending.reject(new Error(CANCELLED));
  }

  private dataResponse(message: PcpV2Message, sender: string): void {
    const parsed = parsePxpData(PxpType.DATA_RESPONSE, message.data);
    if (!parsed.ok) return this.report('INVALID_PAYLOAD', parsed.reason, message);
    const { transaction_id: transactionId, name, data } = parsed.value;
    const pending = this.running.get(`${sender} ${transactionId}`)?.dataRequests.get(name);
    if (!pending) return this.report('INVALID_PAYLOAD', `${PxpType.DATA_RESPONSE} ${name} for ${transactionId}: no such data request of ${sender} pending`, message);
    pending.resolve(data);
  }

  /** Room for one more remembered transaction: forgets the oldest finished ones; false when all run. */
  private makeRoom(): boolean {
    if (this.transactions.size < this.maxTransactions) return true;
    for (const [key, status] of this.transactions) {
      if (status === 'running') continue;
      this.transactions.delete(key);
      if (this.transactions.size < this.maxTransactions) return true;
    }
    return false;
  }

  private stopAll(reason: string): void {
    for (const running of this.running.values()) {
      running.answered = true;
      running.abort.abort(new Error(reason));
      for (const pending of running.dataRequests.values()) pending.reject(new Error(reason));
    }
  }

  private send(target: string, type: string, data: unknown, inReplyTo?: string): void {
    if (this.client.closed) return;
    this.client.send(target, type, data, inReplyTo);
  }

  private report(code: 'INVALID_PAYLOAD' | 'SENDER_MISMATCH', reason: string, message: PcpV2Message): void {
    this.emit('invalid', new InvalidMessageError(code, reason, message));
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

/** A plain object that survives JSON (what PXP's results must be). */
function isJsonObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  try {
    // What it becomes as JSON (toJSON included) must still be an object; no need to parse it back.
    const text: unknown = JSON.stringify(value);
    return typeof text === 'string' && text.startsWith('{');
  } catch {
    return false;
  }
}
