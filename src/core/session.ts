import { CloseCode, CloseReason } from '../protocol/closeCodes.js';
import type { ErrorCode } from '../protocol/errors.js';
import type { Identity } from './auth/verifyToken.js';
import type { BrewerEvent } from './brewerEvent.js';
import type { Connection } from './connection.js';
import type { Logger } from './logger.js';
import type { PairSink, Patron } from './patrons/patron.js';
import type { Registration } from './registry/registration.js';
import type { Pattern } from './topics/pattern.js';

export interface SessionLimits {
  readonly maxUnsentBytes: number;
  readonly maxErrorsPer10s: number;
  readonly maxBrewersPerSession: number;
  readonly maxSubscriptionsPerSession: number;
  readonly maxBrewerBytes: number;
  readonly maxBrewerBytesPerSession: number;
}

export interface Subscription {
  readonly session: Session;
  readonly pattern: Pattern;
}

/** How a session reports to its hub; the hub turns these into events and metrics. */
export interface SessionHooks {
  /** Once, when the session ends, whoever ended it (peer, limit, timer, shutdown). */
  ended(session: Session, code: number, reason: string): void;
  /** Each error answered to the client. */
  errored(session: Session, code: ErrorCode): void;
}

const ERROR_WINDOW_MS = 10_000;

/**
 * One connection's state, the same for every dialect: who it is, what it registered and
 * subscribed, and the guards on its output. The dialect decides how events become frames by
 * setting `deliver`.
 */
export class Session {
  identity: Identity | undefined;
  readonly brewers = new Set<Registration>();
  /** JSON size of the brewer objects in `brewers`, against `maxBrewerBytesPerSession`. */
  brewerBytes = 0;
  readonly subscriptions = new Map<string, Subscription>();
  /** 1.x patrons, by topic and patron id. */
  readonly patrons = new Map<string, Patron>();
  /** Set by the 1.x dialect: where pair notifications go. Other dialects have none. */
  pairSink: PairSink | undefined;
  closed = false;
  /**
   * Cut for being a slow consumer: nothing more is sent, and the close follows on the next
   * microtask, so it never runs in the middle of another session's operation (a fan-out, a
   * snapshot, an inventory flush) and changes state under it.
   */
  cut = false;
  /** Set by the dialect: turns a brewer event into this session's frame and sends it. */
  deliver: (event: BrewerEvent) => void = () => undefined;

  private errorWindowStart = 0;
  private errorsInWindow = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly id: string,
    readonly dialect: string,
    readonly conn: Connection,
    public log: Logger,
    readonly limits: SessionLimits,
    private readonly hooks: SessionHooks,
  ) {}

  get sub(): string | undefined {
    return this.identity?.sub;
  }

  holdBrewer(registration: Registration): void {
    if (this.brewers.has(registration)) return;
    this.brewers.add(registration);
    this.brewerBytes += registration.canonical.length;
  }

  releaseBrewer(registration: Registration): void {
    if (this.brewers.delete(registration)) this.brewerBytes -= registration.canonical.length;
  }

  /** Sends unless the peer has stopped reading: then the session is cut (slow consumer). */
  send(frame: string | Uint8Array): void {
    if (this.closed || this.cut) return;
    if (this.conn.bufferedAmount > this.limits.maxUnsentBytes) {
      this.log.warn({ bufferedAmount: this.conn.bufferedAmount }, 'slow consumer, closing');
      this.cut = true;
      queueMicrotask(() => this.close(CloseCode.POLICY, CloseReason.SLOW_CONSUMER));
      return;
    }
    this.conn.send(frame);
  }

  /**
   * Counts an error answered to this session; past the per-10 s budget the session is closed 1008.
   * Returns false when the session was closed for it (and the error should not be sent).
   */
  countError(code: ErrorCode, now = Date.now()): boolean {
    this.hooks.errored(this, code);
    if (now - this.errorWindowStart >= ERROR_WINDOW_MS) {
      this.errorWindowStart = now;
      this.errorsInWindow = 0;
    }
    if (++this.errorsInWindow > this.limits.maxErrorsPer10s) {
      this.log.warn({ errors: this.errorsInWindow }, 'error flood, closing');
      this.close(CloseCode.POLICY, CloseReason.ERROR_FLOOD);
      return false;
    }
    return true;
  }

  /** A timer that dies with the session and never keeps the process alive. */
  setTimer(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
    return timer;
  }

  clearTimer(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Idempotent; cleans up the session's state at once, before the close handshake finishes. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    try {
      this.conn.close(code, reason);
    } finally {
      this.hooks.ended(this, code, reason);
    }
  }
}
