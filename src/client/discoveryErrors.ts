// The DiscoveryClient's one error type, and the few messages its parts build with it.
import { ERROR_CODES, type ErrorCode } from '../protocol/errors.js';

/**
 * What failed. `server`: an ERROR no request claimed; `inbound`: a message the session dropped
 * (malformed, or discovery from a peer rather than the broker), its InvalidMessageError the cause.
 */
export type DiscoveryOperation = 'connect' | 'token' | 'refresh' | 'registerBrewer' | 'unregisterBrewer' | 'subscribe' | 'server' | 'inbound' | 'close';

/** What an operation's failure is when its cause names no code of ours (a socket error, say). */
const FALLBACK: Readonly<Record<DiscoveryOperation, ErrorCode>> = {
  connect: 'CONNECTION_CLOSED',
  token: 'UNAUTHENTICATED',
  refresh: 'UNAUTHENTICATED',
  registerBrewer: 'INTERNAL',
  unregisterBrewer: 'INTERNAL',
  subscribe: 'INTERNAL',
  server: 'INTERNAL',
  inbound: 'DECODE_FAILED',
  close: 'CONNECTION_CLOSED',
};

/** The code an error carries, when it is one of ours (the SDK's errors and PubkeeperError). */
export function codeOf(error: unknown): ErrorCode | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : undefined;
}

/** A failed attempt, a refused request or refresh, an ERROR no request claimed, or a message dropped. */
export class DiscoveryClientError extends Error {
  override readonly name = 'DiscoveryClientError';
  /** The server's code for a refusal, else what went wrong on this side. */
  readonly code: ErrorCode;
  constructor(
    message: string,
    readonly operation: DiscoveryOperation,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = codeOf(options?.cause) ?? FALLBACK[operation];
  }
}

export function closedError(): DiscoveryClientError {
  return new DiscoveryClientError('the client was closed', 'close');
}

export function requestError(operation: DiscoveryOperation, subject: string, error: unknown): DiscoveryClientError {
  return new DiscoveryClientError(`${operation} ${subject} refused: ${messageOf(error)}`, operation, { cause: error });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
