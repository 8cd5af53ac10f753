import { CloseCode, CloseReason } from '../../protocol/closeCodes.js';
import { PubkeeperError } from '../../protocol/errors.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';
import { unexpectedError } from '../unexpected.js';
import type { Dialect, RequestContext } from './dialect.js';

/**
 * Frames a session may send while one of its requests waits for the shared log (cluster mode);
 * past it each is refused "Limit exceeded", so a flood cannot grow the queue without bound.
 */
export const MAX_HELD_FRAMES = 256;

/**
 * The one loop every session runs, whatever its dialect: each inbound frame is decoded, let
 * through the authentication gate, and handled, one at a time, in order. The auth timeout, the
 * error budget and the error replies are here, once.
 */
export class SessionDriver<Request> implements RequestContext {
  private authFailures = 0;
  /** A request waiting for the shared log: the session's next frames wait for it, in order. */
  private waiting: Promise<void> | undefined;
  private readonly held: { data: Buffer; isBinary: boolean }[] = [];

  constructor(
    readonly ports: Ports,
    readonly session: Session,
    private readonly dialect: Dialect<Request>,
  ) {
    // [PK-AUTH-3] [PK1-AUTH-2] no successful authentication within the auth timeout: close 4001.
    if (dialect.inBandAuth) {
      session.authTimer = session.setTimer(ports.options.authTimeoutMs, () => {
        if (session.identity) return;
        session.authRefused('timeout');
        session.close(CloseCode.AUTH_TIMEOUT, CloseReason.AUTH_TIMEOUT);
      });
    }
  }

  receive(data: Buffer, isBinary: boolean): void {
    if (this.session.closed) return;
    if (this.waiting === undefined) return this.handleFrame(data, isBinary);
    if (this.held.length >= MAX_HELD_FRAMES) {
      return this.fail(new PubkeeperError('LIMIT_EXCEEDED', `at most ${MAX_HELD_FRAMES} requests may wait for the cluster`));
    }
    this.held.push({ data, isBinary });
  }

  /** The session's frames wait until `settled` has (its connect, or one of its requests). */
  hold(settled: Promise<unknown>, inReplyTo?: string): void {
    this.waiting = settled.then(
      () => this.resume(),
      (err: unknown) => {
        this.fail(unexpectedError(err, this.session.log), inReplyTo);
        this.resume();
      },
    );
  }

  private resume(): void {
    this.waiting = undefined;
    for (let next = this.held.shift(); next !== undefined; next = this.held.shift()) {
      if (this.session.closed) return;
      this.handleFrame(next.data, next.isBinary);
      if (this.waiting !== undefined) return;
    }
  }

  private handleFrame(data: Buffer, isBinary: boolean): void {
    let request: Request | undefined;
    try {
      const decoded = this.dialect.decode(data, isBinary);
      if (!decoded.ok) return this.fail(decoded.error, decoded.error.messageId);
      request = decoded.value;
      const gate = this.dialect.inBandAuth;
      // [PK-AUTH-1] before a successful authentication every other packet is refused, whatever it holds.
      if (gate && !this.session.identity && !gate.isAuthenticate(request)) {
        return this.fail(new PubkeeperError('UNAUTHENTICATED'));
      }
      const handled = this.dialect.handle(this, request);
      if (handled instanceof Promise) this.hold(handled, this.dialect.replyTo?.(request));
    } catch (err) {
      // A bug (or a stack-deep payload) costs this one frame, never the process or another session.
      const inReplyTo = request === undefined ? undefined : this.dialect.replyTo?.(request);
      this.fail(unexpectedError(err, this.session.log), inReplyTo);
    }
  }

  fail(error: PubkeeperError, inReplyTo?: string): void {
    const { session } = this;
    session.debug({ code: error.code, ...(error.code === 'DECODE_FAILED' ? { detail: error.detail } : {}) }, 'error sent');
    if (!session.countError(error.code)) return;
    session.send(this.dialect.encodeError(error, session, inReplyTo));
  }

  /** [PK-AUTH-3] refused tokens while unauthenticated close 4001 after `maxAuthFailures`. */
  authRefused(): void {
    if (!this.dialect.inBandAuth?.limitsRefusals || this.session.identity) return;
    if (++this.authFailures < this.ports.options.maxAuthFailures) return;
    this.session.authRefused('too_many_failures');
    this.session.close(CloseCode.AUTH_TIMEOUT, CloseReason.AUTH_REFUSED);
  }
}
