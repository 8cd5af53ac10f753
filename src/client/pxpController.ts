// The controller side of PXP 1.0 request/response over PCP (CONTRACT §9, protocol/pxp.md):
// blocking and non-blocking requests, status queries, progress, cancel and data requests. Only a
// message from the transaction's target about a pending transaction counts; anything else PXP-shaped
// is reported on 'invalid' and dropped, never thrown.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ErrorCode } from '../protocol/errors.js';
import { BROKER_URI, MessageType } from '../protocol/pcp/message.js';
import { PxpType, STATUS_ACTION, STATUS_MODULE, parsePxpData, statusQueryResultsSchema, type StatusQueryResults } from '../protocol/pxp/messages.js';
import { InvalidMessageError, type PcpV2Message } from './inbound.js';
import type { PcpClient } from './pcpClient.js';

/** A PXP call failed. `code` is from the SDK's error list; `description` is what the wire said. */
export class PxpError extends Error {
  override readonly name: string = 'PxpError';
  constructor(
    readonly description: string,
    readonly code: ErrorCode,
  ) {
    super(description);
  }
}

/** The agent answered `rpc_error_message` (unknown module or action, a failure, "Cancelled."), or a PCP error_message. */
export class PxpRpcError extends PxpError {
  override readonly name = 'PxpRpcError';
  constructor(description: string) {
    super(description, 'INTERNAL');
  }
}

/** The broker answered "Not connected.": the target is not (or no longer) connected. */
export class PxpNotConnectedError extends PxpError {
  override readonly name = 'PxpNotConnectedError';
  constructor(description = 'Not connected.') {
    super(description, 'NOT_CONNECTED');
  }
}

/** The broker refused the message: this client's token may not send to the target. */
export class PxpUnauthorizedError extends PxpError {
  override readonly name = 'PxpUnauthorizedError';
  constructor(description = 'Unauthorized') {
    super(description, 'UNAUTHORIZED');
  }
}

/** No answer within the timeout (the agent is then sent a cancel). */
export class PxpTimeoutError extends PxpError {
  override readonly name = 'PxpTimeoutError';
  constructor(description: string) {
    super(description, 'TIMEOUT');
  }
}

/** This controller's connection closed, or it was detached, before the answer. */
export class PxpClosedError extends PxpError {
  override readonly name = 'PxpClosedError';
  constructor(description = 'Connection closed') {
    super(description, 'CONNECTION_CLOSED');
  }
}

export interface PxpCallOptions {
  /** Bounds the whole transaction (up to the outcome). Default: the controller's (30 000 ms). */
  timeoutMs?: number;
  /** Aborting it cancels the transaction: the agent answers "Cancelled.". */
  signal?: AbortSignal;
  /** Each `pubkeeper/rpc_progress` of the transaction. */
  onProgress?: (progress: unknown) => void;
  /** Answers the agent's `pubkeeper/rpc_data_request`s; a throw cancels the transaction and rejects with it. */
  onDataRequest?: (name: string, data: unknown) => unknown;
}

export interface PxpStartOptions extends PxpCallOptions {
  /** PXP's `notify_outcome`. Default true; when false, `outcome` resolves undefined once started. */
  notifyOutcome?: boolean;
}

export interface PxpOutcome {
  jobId: string;
  results: Record<string, unknown>;
}

export interface PxpControllerOptions {
  /** Default timeout of every call. Default 30 000 ms. */
  timeoutMs?: number;
  /** Transactions pending at once; a call beyond it rejects (LIMIT_EXCEEDED). Default 1000. */
  maxPending?: number;
}

export interface PxpControllerEvents {
  /** A PXP message dropped: malformed, from someone other than the target, or about no pending transaction. */
  invalid: [InvalidMessageError];
}

interface Pending {
  transactionId: string;
  target: string;
  nonBlocking: boolean;
  /** Our message ids for this transaction: the broker's error answers name one of them. */
  ids: Set<string>;
  options: PxpStartOptions;
  started: () => void;
  resolve: (results: Record<string, unknown> | PxpOutcome | undefined) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  unlisten: () => void;
  dataRequests: number;
}

/** A non-blocking transaction in flight. */
export class PxpJob extends EventEmitter<{ progress: [unknown] }> {
  /** Resolves on the agent's `rpc_provisional_response`; rejects as `outcome` does if none came. */
  readonly started: Promise<void>;
  /** The `rpc_non_blocking_response` (undefined when notifyOutcome was false). */
  readonly outcome: Promise<PxpOutcome | undefined>;

  constructor(
    readonly transactionId: string,
    started: Promise<void>,
    outcome: Promise<PxpOutcome | undefined>,
    private readonly onCancel: () => void,
  ) {
    super();
    this.started = started;
    this.outcome = outcome;
    // Either may go unawaited by the caller: their rejections are theirs to see, not unhandled.
    started.catch(() => undefined);
    outcome.catch(() => undefined);
  }

  /** Sends `pubkeeper/rpc_cancel`; `outcome` then rejects with the agent's "Cancelled.". */
  cancel(): void {
    this.onCancel();
  }
}

/** Our message ids remembered per transaction (the request, cancels, data responses). */
const MAX_TRACKED_IDS = 64;

const ANSWER_TYPES: ReadonlySet<string> = new Set([
  PxpType.BLOCKING_RESPONSE,
  PxpType.PROVISIONAL_RESPONSE,
  PxpType.NON_BLOCKING_RESPONSE,
  PxpType.RPC_ERROR,
  PxpType.PROGRESS,
  PxpType.DATA_REQUEST,
]);

/** Sends PXP requests through a connected PcpClient and follows their transactions. */
export class PxpController extends EventEmitter<PxpControllerEvents> {
  private readonly pending = new Map<string, Pending>();
  /** Our PCP message id → its transaction id. */
  private readonly byMessageId = new Map<string, string>();
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private readonly onMessage = (message: PcpV2Message): void => this.receive(message);
  private readonly onClose = (): void => this.rejectAll(new PxpClosedError());

  constructor(
    readonly client: PcpClient,
    options: PxpControllerOptions = {},
  ) {
    super();
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxPending = options.maxPending ?? 1000;
    client.on('message', this.onMessage);
    client.on('close', this.onClose);
  }

  /** A blocking request: resolves with the results. */
  request(target: string, module: string, action: string, params?: Record<string, unknown>, options: PxpCallOptions = {}): Promise<Record<string, unknown>> {
    const { done } = this.begin(target, { module, action, params }, false, options);
    return done as Promise<Record<string, unknown>>;
  }

  /** A non-blocking request: the job yields the provisional response, progress and the outcome. */
  start(target: string, module: string, action: string, params?: Record<string, unknown>, options: PxpStartOptions = {}): PxpJob {
    const { transactionId, started, done, job } = this.begin(target, { module, action, params }, true, options);
    return job ?? new PxpJob(transactionId, started, done as Promise<PxpOutcome | undefined>, () => undefined);
  }

  /** `status` `query` for one of this controller's non-blocking transactions on `target`. */
  async status(target: string, transactionId: string, options: PxpCallOptions = {}): Promise<StatusQueryResults> {
    const results = await this.request(target, STATUS_MODULE, STATUS_ACTION, { transaction_id: transactionId }, options);
    const parsed = statusQueryResultsSchema.safeParse(results);
    if (!parsed.success) throw new PxpRpcError(`status query results of the wrong shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }

  /** Stops listening; pending calls reject with PxpClosedError. */
  detach(): void {
    this.client.off('message', this.onMessage);
    this.client.off('close', this.onClose);
    this.rejectAll(new PxpClosedError('The controller was detached.'));
  }

  private begin(
    target: string,
    call: { module: string; action: string; params: Record<string, unknown> | undefined },
    nonBlocking: boolean,
    options: PxpStartOptions,
  ): { transactionId: string; started: Promise<void>; done: Promise<unknown>; job?: PxpJob } {
    const transactionId = randomUUID();
    let started!: () => void;
    let failStart!: (error: Error) => void;
    const startedP = new Promise<void>((resolve, reject) => {
      started = resolve;
      failStart = reject;
    });
    // A blocking call never shows it: its failure is the call's, not an unhandled rejection.
    startedP.catch(() => undefined);
    let resolve!: Pending['resolve'];
    let reject!: (error: Error) => void;
    const done = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const refuse = (error: Error): { transactionId: string; started: Promise<void>; done: Promise<unknown> } => {
      failStart(error);
      reject(error);
      return { transactionId, started: startedP, done };
    };
    if (this.client.closed) return refuse(new PxpClosedError());
    if (this.pending.size >= this.maxPending) return refuse(new PxpError(`Too many PXP transactions pending (the controller's limit is ${this.maxPending}).`, 'LIMIT_EXCEEDED'));
    if (options.signal?.aborted) return refuse(new PxpRpcError('Cancelled.'));
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const onAbort = (): void => this.cancel(transactionId);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const entry: Pending = {
      transactionId,
      target,
      nonBlocking,
      ids: new Set(),
      options,
      started,
      resolve,
      reject,
      timer: setTimeout(() => {
        this.cancel(transactionId);
        this.settle(transactionId, new PxpTimeoutError(`No answer from ${target} within ${timeoutMs} ms.`));
      }, timeoutMs),
      unlisten: () => options.signal?.removeEventListener('abort', onAbort),
      dataRequests: 0,
    };
    done.then(
      () => undefined,
      (error: Error) => failStart(error),
    );
    this.pending.set(transactionId, entry);
    const data = { transaction_id: transactionId, module: call.module, action: call.action, ...(call.params ? { params: call.params } : {}) };
    if (nonBlocking) {
      this.sendFor(entry, PxpType.NON_BLOCKING_REQUEST, { ...data, notify_outcome: options.notifyOutcome ?? true });
    } else {
      this.sendFor(entry, PxpType.BLOCKING_REQUEST, data);
    }
    const job = nonBlocking ? new PxpJob(transactionId, startedP, done as Promise<PxpOutcome | undefined>, () => this.cancel(transactionId)) : undefined;
    if (job) entry.options = { ...options, onProgress: (p) => (options.onProgress?.(p), job.emit('progress', p)) };
    return { transactionId, started: startedP, done, ...(job ? { job } : {}) };
  }

  private cancel(transactionId: string): void {
    const entry = this.pending.get(transactionId);
    if (entry) this.sendFor(entry, PxpType.CANCEL, { transaction_id: transactionId });
  }

  private sendFor(entry: Pending, type: string, data: unknown): void {
    if (this.client.closed) return;
    const id = this.client.send(entry.target, type, data);
    // Kept to match the broker's error answers; bounded, since an agent decides how many data
    // requests (and so data responses) a transaction has.
    if (entry.ids.size >= MAX_TRACKED_IDS) return;
    entry.ids.add(id);
    this.byMessageId.set(id, entry.transactionId);
  }

  private settle(transactionId: string, outcome: Error | { value: Record<string, unknown> | PxpOutcome | undefined }): void {
    const entry = this.pending.get(transactionId);
    if (!entry) return;
    this.pending.delete(transactionId);
    clearTimeout(entry.timer);
    entry.unlisten();
    for (const id of entry.ids) this.byMessageId.delete(id);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome.value);
  }

  private receive(message: PcpV2Message): void {
    const { sender } = message;
    // The broker's or the agent's PCP answer about one of our messages.
    if ((message.message_type === MessageType.ERROR || message.message_type === MessageType.UNAUTHORIZED) && message.in_reply_to !== undefined) {
      const transactionId = this.byMessageId.get(message.in_reply_to);
      const entry = transactionId === undefined ? undefined : this.pending.get(transactionId);
      if (!entry) return;
      if (sender !== BROKER_URI && sender !== entry.target) return this.report('SENDER_MISMATCH', `${message.message_type} about ${entry.transactionId} from ${sender ?? '(no sender)'} ignored: the request went to ${entry.target}`, message);
      return this.settle(entry.transactionId, pcpError(message, sender === BROKER_URI));
    }
    if (!ANSWER_TYPES.has(message.message_type)) return;
    const type = message.message_type as typeof PxpType.BLOCKING_RESPONSE;
    const parsed = parsePxpData(type, message.data);
    if (!parsed.ok) return this.report('INVALID_PAYLOAD', parsed.reason, message);
    const transactionId = parsed.value.transaction_id;
    const entry = this.pending.get(transactionId);
    if (!entry) return this.report('INVALID_PAYLOAD', `${message.message_type} for ${transactionId}: no such transaction pending`, message);
    if (sender !== entry.target) return this.report('SENDER_MISMATCH', `${message.message_type} for ${transactionId} from ${sender ?? '(no sender)'} ignored: the request went to ${entry.target}`, message);
    this.answer(entry, message, parsed.value as Record<string, unknown>);
  }

  /** `data` is the message's data as its schema checked it: its names and ids are strings. */
  private answer(entry: Pending, message: PcpV2Message, data: Record<string, unknown>): void {
    const { transactionId } = entry;
    const misplaced = (): void => this.report('INVALID_PAYLOAD', `${message.message_type} for ${transactionId} ignored: not an answer to a ${entry.nonBlocking ? 'non-' : ''}blocking request`, message);
    switch (message.message_type) {
      case PxpType.RPC_ERROR:
        return this.settle(transactionId, new PxpRpcError(data['description'] as string));
      case PxpType.BLOCKING_RESPONSE:
        if (entry.nonBlocking) return misplaced();
        return this.settle(transactionId, { value: data['results'] as Record<string, unknown> });
      case PxpType.PROVISIONAL_RESPONSE:
        if (!entry.nonBlocking) return misplaced();
        entry.started();
        if (entry.options.notifyOutcome === false) this.settle(transactionId, { value: undefined });
        return;
      case PxpType.NON_BLOCKING_RESPONSE:
        if (!entry.nonBlocking) return misplaced();
        entry.started();
        return this.settle(transactionId, { value: { jobId: data['job_id'] as string, results: data['results'] as Record<string, unknown> } });
      case PxpType.PROGRESS:
        return this.call(() => entry.options.onProgress?.(data['progress']));
      case PxpType.DATA_REQUEST:
        return this.dataRequest(entry, message, data['name'] as string, data['data']);
    }
  }

  private dataRequest(entry: Pending, message: PcpV2Message, name: string, data: unknown): void {
    const handler = entry.options.onDataRequest;
    if (!handler) return this.report('INVALID_PAYLOAD', `${PxpType.DATA_REQUEST} ${name} for ${entry.transactionId} ignored: the call has no onDataRequest`, message);
    // A transaction's handler runs at most 16 at once: an agent cannot make us run it without end.
    if (entry.dataRequests >= 16) return this.report('INVALID_PAYLOAD', `${PxpType.DATA_REQUEST} ${name} for ${entry.transactionId} ignored: 16 already being answered`, message);
    entry.dataRequests++;
    Promise.resolve()
      .then(() => handler(name, data))
      .then(
        (value) => {
          if (this.pending.get(entry.transactionId) === entry) this.sendFor(entry, PxpType.DATA_RESPONSE, { transaction_id: entry.transactionId, name, data: value ?? null });
        },
        (error: unknown) => {
          this.cancel(entry.transactionId);
          this.settle(entry.transactionId, error instanceof Error ? error : new PxpError(String(error), 'INTERNAL'));
        },
      )
      .finally(() => entry.dataRequests--);
  }

  /** Runs a caller's callback; its throw is the caller's bug, never ours to crash on. */
  private call(callback: () => void): void {
    try {
      callback();
    } catch {
      // ignored: a progress callback's failure does not end the transaction
    }
  }

  private rejectAll(error: Error): void {
    for (const transactionId of [...this.pending.keys()]) this.settle(transactionId, error);
  }

  private report(code: 'INVALID_PAYLOAD' | 'SENDER_MISMATCH', reason: string, message: PcpV2Message): void {
    this.emit('invalid', new InvalidMessageError(code, reason, message));
  }
}

/** The PCP-level answer as a typed error: error_message ("Not connected." or another text) or unauthorized. */
function pcpError(message: PcpV2Message, fromBroker: boolean): PxpError {
  if (message.message_type === MessageType.UNAUTHORIZED) return new PxpUnauthorizedError();
  const text = typeof message.data === 'string' ? message.data : typeof (message.data as { description?: unknown } | undefined)?.description === 'string' ? (message.data as { description: string }).description : 'error_message';
  if (fromBroker && text === 'Not connected.') return new PxpNotConnectedError(text);
  return new PxpRpcError(text);
}
