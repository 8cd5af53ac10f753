import { CloseCode } from './closeCodes.js';

/**
 * The one list of error codes. The code names are API (logs, metric labels, the SDK's typed
 * error); `text` is the wire prefix of CONTRACT §4 that every dialect puts first in its message.
 * `close` is set when the error ends the session, with the close code of CONTRACT §6.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: { text: 'Unauthenticated Request' },
  LACK_PERMISSIONS: { text: 'Lack Permissions for Request' },
  DECODE_FAILED: { text: 'Could not decode message' },
  UNKNOWN_PACKET: { text: 'Unknown packet' },
  INVALID_PAYLOAD: { text: 'Invalid payload' },
  LIMIT_EXCEEDED: { text: 'Limit exceeded' },
  AUTH_TIMEOUT: { text: 'Not authenticated in time', close: CloseCode.AUTH_TIMEOUT },
  AUTH_FAILED_TOO_OFTEN: { text: 'Too many failed authentications', close: CloseCode.AUTH_TIMEOUT },
  TOKEN_EXPIRED: { text: 'Token expired', close: CloseCode.TOKEN_EXPIRED },
  FRAME_TOO_LARGE: { text: 'Frame too large', close: CloseCode.TOO_BIG },
  SLOW_CONSUMER: { text: 'Slow consumer', close: CloseCode.POLICY },
  ERROR_FLOOD: { text: 'Too many errors', close: CloseCode.POLICY },
  INTERNAL: { text: 'Internal error' },
  // PCP routing (CONTRACT §5): exact texts of the broker's error_message, final period included.
  SENDER_MISMATCH: { text: 'Message not authenticated.' },
  MULTIPLE_RECIPIENTS: { text: 'Multiple recipients no longer supported.' },
  NOT_CONNECTED: { text: 'Not connected.' },
  UNKNOWN_MESSAGE_TYPE: { text: 'Unknown message type.' },
  /** PCP answers this with an `http://puppetlabs.com/unauthorized` message, which has no text. */
  UNAUTHORIZED: { text: 'Unauthorized' },
  // Raised by the SDK about its own requests and connection; the server never sends them.
  TIMEOUT: { text: 'No answer in time' },
  CONNECTION_CLOSED: { text: 'Connection closed' },
  INVALID_URL: { text: 'Invalid URL' },
} as const satisfies Record<string, { text: string; close?: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

export interface ErrorOptions {
  cause?: unknown;
  /** The id of the message the error answers (PCP `in_reply_to`), when one could be read. */
  messageId?: string | undefined;
}

/** The one error class: a code from the list plus detail we wrote ourselves. */
export class PubkeeperError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly messageId: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: ErrorOptions) {
    super(wireText(code, detail), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PubkeeperError';
    this.code = code;
    this.detail = detail;
    this.messageId = options?.messageId;
  }
}

/** "Invalid payload: topic must be a string" — prefix, then our own detail. */
export function wireText(code: ErrorCode, detail?: string): string {
  const prefix = ERROR_CODES[code].text;
  return detail ? `${prefix}: ${detail}` : prefix;
}

/**
 * The code whose wire text starts `text` (the text alone, or followed by `: ` and a detail); the
 * SDK reads the code of an answer this way. Undefined for a text no code of ours begins.
 */
export function codeOfWireText(text: string): ErrorCode | undefined {
  let best: ErrorCode | undefined;
  for (const code of CODES) {
    const prefix: string = ERROR_CODES[code].text;
    if (text !== prefix && !text.startsWith(`${prefix}: `)) continue;
    if (best === undefined || prefix.length > ERROR_CODES[best].text.length) best = code;
  }
  return best;
}

/** The failure shape of every decoder and of every step on the message path. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: PubkeeperError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, detail?: string, messageId?: string): Result<never> => ({
  ok: false,
  error: new PubkeeperError(code, detail, { messageId }),
});
