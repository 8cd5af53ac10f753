import type { PubkeeperError, Result } from '../../protocol/errors.js';
import type { Frame } from '../connection.js';
import type { EventEncoder } from '../notify/eventEncoder.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';
import type { Settled } from '../util/settled.js';

/** What a dialect's handler works with while it answers one request. */
export interface RequestContext {
  readonly ports: Ports;
  readonly session: Session;
  /** Answers an error: counted towards the error budget (past it the session closes), then encoded by the dialect. */
  fail(error: PubkeeperError, inReplyTo?: string): void;
  /** A refused token while not yet authenticated: past the limit, where the dialect counts them, close 4001. */
  authRefused(): void;
}

/** Dialects that authenticate with a packet (JSON, 1.x) rather than at the upgrade (PCP). */
export interface InBandAuth<Request> {
  /** The only requests that pass before the session is authenticated. */
  isAuthenticate(request: Request): boolean;
  /** Do refused tokens close an unauthenticated session after `maxAuthFailures`? */
  readonly limitsRefusals: boolean;
}

/**
 * One wire dialect: how a frame becomes a request, how a request is answered (through the shared
 * operations), and how errors and events become frames. One server loop drives every dialect
 * through this interface (SessionDriver); a dialect holds no per-session state of its own.
 */
export interface Dialect<Request> extends EventEncoder {
  /** Names the dialect in logs and metric labels. */
  readonly name: string;
  readonly inBandAuth?: InBandAuth<Request>;
  /** Text or bytes → a request, or a coded error (DECODE_FAILED, UNKNOWN_PACKET…). Pure. */
  decode(data: Buffer, isBinary: boolean): Result<Request>;
  /**
   * Runs the request's operation and answers it, in order, before the next frame: a promise when
   * the answer waits for the shared log, and the session's next frame waits with it.
   */
  handle(ctx: RequestContext, request: Request): Settled<void>;
  /** The frame that answers an error; `inReplyTo` names the request, where the dialect says so. */
  encodeError(error: PubkeeperError, session: Session, inReplyTo: string | undefined): Frame;
  /** The id an answer to this request replies to, where the dialect has one (PCP). */
  replyTo?(request: Request): string | undefined;
}
