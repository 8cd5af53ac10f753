import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { decodeV2, encodeV2 } from '../protocol/pcp-v2/codec.js';
import { BROKER_URI, MessageType, type PcpMessage } from '../protocol/pcp/message.js';
import { CLIENT_TYPE_PATTERN, parsePcpUri } from '../protocol/pcpUri.js';
import { isPxpType, parsePxpData, PxpType } from '../protocol/pxp/messages.js';
import { tokenFlag, urlFlag } from './clientFlags.js';
import type { CliIo } from './io.js';
import type { FlagValues } from './options.js';
import { DEFAULT_RUN_TIMEOUT_MS, DEFAULT_RUN_TYPE } from './runDefaults.js';
import { DEFAULT_SERVER_URL, serverBaseUrl, withPath } from './serverUrl.js';
import { UsageError } from './usageError.js';
import type { Interrupts } from './watch.js';


/** What `run` was asked to do, checked (a bad flag is a usage error: exit 2). */
interface RunRequest {
  url: string;
  token: string;
  target: string;
  module: string;
  action: string;
  params: Record<string, unknown> | undefined;
  nonBlocking: boolean;
  timeoutMs: number;
  /** Answers to the agent's data requests, by name (`--data NAME=JSON`). */
  data: Map<string, unknown>;
  json: boolean;
}

/**
 * `pubkeeper run TARGET MODULE ACTION [--params JSON] [--non-blocking] [--timeout-ms N] [--type T]
 * [--data NAME=JSON]... [--json] --url ws://HOST:PORT --token JWT` (CONTRACT §9): one PXP request
 * to the agent at TARGET as `pcp://<sub>/<T>`; the results as JSON on stdout, exit 0. An
 * rpc_error_message or a PCP error (Not connected., unauthorized): its description on stderr,
 * exit 1; no answer in time: "timed out", exit 1. With --json, what happens meanwhile (the
 * provisional response, progress, data requests) goes to stderr as one JSON object per line.
 * SIGINT or SIGTERM cancels the action (pubkeeper/rpc_cancel) and exits 1.
 */
export function run(target: string, module: string, action: string, values: FlagValues, io: CliIo, interrupts: Interrupts = process): Promise<number> {
  const request = checkRequest(target, module, action, values, io);
  const transactionId = randomUUID();
  const requestId = randomUUID();
  const say = (line: string): void => io.stderr(`pubkeeper run: ${line}\n`);
  const event = (fields: Record<string, unknown>): void => {
    if (request.json) io.stderr(`${JSON.stringify(fields)}\n`);
  };

  return new Promise((resolve) => {
    const socket = new WebSocket(request.url, { headers: { authorization: `Bearer ${request.token}` } });
    let done = false;
    const finish = (code: number, line?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      interrupts.off('SIGINT', interrupt);
      interrupts.off('SIGTERM', interrupt);
      if (line !== undefined) say(line);
      socket.removeAllListeners('close');
      if (socket.readyState === WebSocket.CLOSED) return resolve(code);
      socket.once('close', () => resolve(code));
      socket.close(1000);
    };
    const send = (messageType: string, data: unknown, id = randomUUID()): void => {
      socket.send(encodeV2({ id, message_type: messageType, target: request.target, data }));
    };
    const cancel = (): void => {
      if (socket.readyState === WebSocket.OPEN) send(PxpType.CANCEL, { transaction_id: transactionId });
    };
    const timer = setTimeout(() => finish(1, 'timed out'), request.timeoutMs);
    const interrupt = (): void => {
      cancel();
      finish(1, 'cancelled');
    };
    interrupts.once('SIGINT', interrupt);
    interrupts.once('SIGTERM', interrupt);

    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => finish(1, `refused: ${res.statusCode ?? 0} ${body.trim()}`.trimEnd()));
      res.on('error', () => finish(1, `refused: ${res.statusCode ?? 0}`));
    });
    socket.on('error', (err) => finish(1, `cannot reach ${request.url}: ${err.message}`));
    socket.on('close', (code, reason) => finish(1, `the server closed the connection (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`));
    socket.on('open', () => {
      const common = { transaction_id: transactionId, module: request.module, action: request.action, ...(request.params ? { params: request.params } : {}) };
      if (request.nonBlocking) send(PxpType.NON_BLOCKING_REQUEST, { ...common, notify_outcome: true }, requestId);
      else send(PxpType.BLOCKING_REQUEST, common, requestId);
    });
    socket.on('message', (raw, isBinary) => {
      const decoded = isBinary ? undefined : decodeV2(raw.toString());
      // Anything that is not a PCP v2 message, or not about this request, is none of ours.
      if (!decoded?.ok) return;
      const answer = answerOf(decoded.value, request, transactionId, requestId);
      switch (answer.kind) {
        case 'ignore':
          return;
        case 'results':
          io.stdout(`${JSON.stringify(answer.results)}\n`);
          return finish(0);
        case 'failed':
          return finish(1, answer.description);
        case 'event':
          return event(answer.fields);
        case 'data': {
          event({ event: 'data_request', name: answer.name, data: answer.data });
          if (!request.data.has(answer.name)) {
            cancel();
            return finish(1, `the agent asked for data "${answer.name}": give it with --data ${answer.name}=JSON`);
          }
          return send(PxpType.DATA_RESPONSE, { transaction_id: transactionId, name: answer.name, data: request.data.get(answer.name) });
        }
      }
    });
  });
}

type Answer =
  | { kind: 'ignore' }
  | { kind: 'results'; results: unknown }
  | { kind: 'failed'; description: string }
  | { kind: 'event'; fields: Record<string, unknown> }
  | { kind: 'data'; name: string; data: unknown };

const IGNORE: Answer = { kind: 'ignore' };

/**
 * What one inbound message means for this request: only the broker's errors about the request
 * and the target's messages for this transaction count, each checked against its schema.
 */
function answerOf(message: PcpMessage, request: RunRequest, transactionId: string, requestId: string): Answer {
  if (message.sender === BROKER_URI || message.sender === request.target) {
    // The broker's, or the agent's own PCP error about the request (its data chunk refused).
    if (message.in_reply_to === requestId && message.message_type === MessageType.ERROR) {
      return { kind: 'failed', description: typeof message.data === 'string' ? message.data : 'error_message' };
    }
    if (message.sender === BROKER_URI && message.in_reply_to === requestId && message.message_type === MessageType.UNAUTHORIZED) {
      return { kind: 'failed', description: `unauthorized: this token may not send to ${request.target}` };
    }
  }
  if (message.sender !== request.target || !isPxpType(message.message_type)) return IGNORE;
  const parsed = parsePxpData(message.message_type, message.data);
  if (!parsed.ok || parsed.value.transaction_id !== transactionId) return IGNORE;
  const data = parsed.value as Record<string, unknown>;
  switch (message.message_type) {
    case PxpType.BLOCKING_RESPONSE:
      return request.nonBlocking ? IGNORE : { kind: 'results', results: data.results };
    case PxpType.NON_BLOCKING_RESPONSE:
      return request.nonBlocking ? { kind: 'results', results: data.results } : IGNORE;
    case PxpType.RPC_ERROR:
      return { kind: 'failed', description: String(data.description) };
    case PxpType.PROVISIONAL_RESPONSE:
      return request.nonBlocking ? { kind: 'event', fields: { event: 'provisional', transaction_id: transactionId } } : IGNORE;
    case PxpType.PROGRESS:
      return { kind: 'event', fields: { event: 'progress', transaction_id: transactionId, progress: data.progress } };
    case PxpType.DATA_REQUEST:
      return { kind: 'data', name: String(data.name), data: data.data };
    default:
      return IGNORE;
  }
}

function checkRequest(target: string, module: string, action: string, values: FlagValues, io: CliIo): RunRequest {
  const token = tokenFlag(values, io);
  const uri = parsePcpUri(target);
  if (uri === null || uri.name === '' || uri.type === '') throw new UsageError(`TARGET ${target} is not a client URI (pcp://NAME/TYPE)`);
  const type = (values.type as string | undefined) ?? DEFAULT_RUN_TYPE;
  if (!CLIENT_TYPE_PATTERN.test(type) || type === 'server') throw new UsageError(`--type ${type} is not a client type ([A-Za-z0-9_.-], not server)`);
  const base = serverBaseUrl(urlFlag(values, io, DEFAULT_SERVER_URL));
  return {
    url: withPath(base, `/pcp/v2.0/${type}`),
    token,
    target,
    module,
    action,
    params: values.params === undefined ? undefined : jsonObject(String(values.params), '--params'),
    nonBlocking: values['non-blocking'] === true,
    timeoutMs: positiveInt(values['timeout-ms'], '--timeout-ms') ?? DEFAULT_RUN_TIMEOUT_MS,
    data: dataAnswers((values.data as string[] | undefined) ?? []),
    json: values.json === true,
  };
}

function jsonObject(text: string, flag: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${flag} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${flag} must be a JSON object`);
  return value as Record<string, unknown>;
}

function positiveInt(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || String(value).trim() === '') throw new UsageError(`${flag} must be a positive whole number of milliseconds`);
  return n;
}

/** `--data NAME=JSON`, repeatable: what to answer when the agent asks for NAME. */
function dataAnswers(entries: string[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new UsageError(`--data ${entry} is not NAME=JSON`);
    const name = entry.slice(0, at);
    try {
      out.set(name, JSON.parse(entry.slice(at + 1)));
    } catch {
      throw new UsageError(`--data ${name}: the value is not valid JSON`);
    }
  }
  return out;
}
