import { CloseCode, CloseReason } from '../../protocol/closeCodes.js';
import type { ErrorCode } from '../../protocol/errors.js';
import type { OutgoingMessage } from '../../protocol/pcp/message.js';
import type { AuthRefusalReason } from '../auth/refusal.js';
import type { Identity } from '../auth/verifyToken.js';
import type { Connection, Frame } from '../connection.js';
import type { Logger } from '../logger.js';
import type { EventEncoder } from '../notify/eventEncoder.js';
import type { Pattern } from '../topics/pattern.js';
import { SessionSubscriptions } from './sessionSubscriptions.js';
import { WindowBudget } from './windowBudget.js';
import type { SessionRef } from './sessionRef.js';

export interface SessionLimits {
  readonly maxUnsentBytes: number;
  readonly maxErrorsPer10s: number;
  readonly maxBrewersPerSession: number;
  readonly maxSubscriptionsPerSession: number;
  readonly maxBrewerBytes: number;
  readonly maxBrewerBytesPerSession: number;
  readonly maxMultiWildcards: number;
  readonly snapshotBudgetPer10s: number;
  readonly maxTokenRefreshesPer10s: number;
  readonly maxInventoryPatterns: number;
}

/** What a PCP session is addressed by, and how a message to it becomes a frame. */
export interface PcpEndpoint {
  readonly uri: string;
  encode(message: OutgoingMessage): Frame;
}

/** A subscription lives on its node only, so it may hold its session itself. */
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
  /** What the session is changed: it authenticated, subscribed or unsubscribed. */
  updated(session: Session): void;
  /** A token it sent was refused, or it never authenticated in time. */
  authRefused(session: Session, reason: AuthRefusalReason): void;
}

export interface SessionInit {
  readonly id: string;
  readonly node: string;
  /** The dialect's name, for logs and metric labels. */
  readonly dialect: string;
  readonly encoder: EventEncoder;
  readonly conn: Connection;
  /** The logger the session's own is made from, on its first line (see `Session.log`). */
  readonly log: Logger;
  readonly limits: SessionLimits;
  readonly hooks: SessionHooks;
  readonly pcp?: PcpEndpoint;
  /** The peer's address, for the admin read API. */
  readonly remoteAddress?: string | undefined;
}

/**
 * One connection's state, the same for every dialect: who it is, what it subscribed, and the
 * guards on its output. What it registered lives in the registry, under its `ref`.
 */
export class Session {
  readonly id: string;
  readonly ref: SessionRef;
  readonly dialect: string;
  readonly encoder: EventEncoder;
  readonly conn: Connection;
  readonly limits: SessionLimits;
  identity: Identity | undefined;
  /** PCP sessions: the client's URI and how messages to it are encoded. */
  readonly pcp: PcpEndpoint | undefined;
  readonly remoteAddress: string | undefined;
  /** When the session began, ms since the epoch. */
  readonly connectedAt = Date.now();
  readonly subscriptions = new SessionSubscriptions<Subscription>();
  closed = false;
  /**
   * Cut for being a slow consumer: nothing more is sent, and the close follows on the next
   * microtask, so it never runs in the middle of another session's operation (a fan-out, a
   * snapshot, an inventory flush) and changes state under it.
   */
  cut = false;
  /** Until the first authentication, for in-band dialects ([PK-AUTH-3]); cleared by it. */
  authTimer: NodeJS.Timeout | undefined;
  /** When the identity's token expires ([PK-AUTH-6]). */
  expiryTimer: NodeJS.Timeout | undefined;

  // The budgets are made on first use: most sessions never err, refresh or re-snapshot.
  private errorBudget: WindowBudget | undefined;
  private snapshotBudget: WindowBudget | undefined;
  private refreshBudget: WindowBudget | undefined;
  /** Set by a fan-out that reached this session, so one that matches several of its patterns sends once. */
  fanOutStamp = 0;

  private readonly hooks: SessionHooks;
  private readonly parentLog: Logger;
  private logger: Logger | undefined;

  constructor(init: SessionInit) {
    this.id = init.id;
    this.ref = { node: init.node, session: init.id };
    this.dialect = init.dialect;
    this.encoder = init.encoder;
    this.conn = init.conn;
    this.parentLog = init.log;
    this.limits = init.limits;
    this.hooks = init.hooks;
    this.pcp = init.pcp;
    this.remoteAddress = init.remoteAddress;
  }

  get sub(): string | undefined {
    return this.identity?.sub;
  }

  /**
   * The session's logger, made on its first line: most sessions never log one, and a pino child
   * per session would cost each of them its bindings for nothing. Its lines carry the session id,
   * dialect, PCP URI and, once authenticated, the subject.
   */
  get log(): Logger {
    return (this.logger ??= this.parentLog.child({
      session: this.id,
      dialect: this.dialect,
      ...(this.pcp ? { uri: this.pcp.uri } : {}),
      ...(this.identity ? { sub: this.identity.sub } : {}),
    }));
  }

  /** Snapshots cost one each plus one per brewer they send ([PK-SUB-6]). */
  get snapshots(): WindowBudget {
    return (this.snapshotBudget ??= new WindowBudget(this.limits.snapshotBudgetPer10s));
  }

  /** Refreshes with a token the session does not hold yet. */
  get refreshes(): WindowBudget {
    return (this.refreshBudget ??= new WindowBudget(this.limits.maxTokenRefreshesPer10s));
  }

  /**
   * A debug line, made only when debug lines are written: the session's logger is made on its first
   * line, and a line every session writes (authenticated, opened) must not make one for each.
   */
  debug(obj: unknown, msg?: string): void {
    if (this.parentLog.isLevelEnabled('debug')) this.log.debug(obj, msg);
  }

  /**
   * A lifecycle line at info (opened, authenticated, closed), written on the parent logger with
   * the session's fields rather than on the session's own logger: every session writes these, and
   * a child logger each would cost every idle session its bindings.
   */
  info(msg: string, fields?: Record<string, unknown>): void {
    const log = this.parentLog;
    if (!log.isLevelEnabled('info')) return;
    log.info({ session: this.id, dialect: this.dialect, uri: this.pcp?.uri, sub: this.sub, remoteAddress: this.remoteAddress, ...fields }, msg);
  }

  /** The first identity was adopted: a logger made before it takes on the subject. */
  subjectKnown(sub: string): void {
    if (this.logger) this.logger = this.logger.child({ sub });
  }

  /** Sends unless the peer has stopped reading: then the session is cut (slow consumer). */
  send(frame: Frame): void {
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
    const errors = (this.errorBudget ??= new WindowBudget(this.limits.maxErrorsPer10s));
    if (errors.spend(1, now)) {
      this.log.warn({ errors: errors.spent }, 'error flood, closing');
      this.close(CloseCode.POLICY, CloseReason.ERROR_FLOOD);
      return false;
    }
    return true;
  }

  /** Tells the hub a token of this session's was refused (logged at info and counted at the edge). */
  authRefused(reason: AuthRefusalReason): void {
    this.hooks.authRefused(this, reason);
  }

  /** Tells the hub the session changed (for the admin feed). */
  updated(): void {
    if (!this.closed) this.hooks.updated(this);
  }

  /**
   * A timer that never runs once the session closed and never keeps the process alive. The caller
   * keeps it in `authTimer` or `expiryTimer`, the two a session has, which its close clears (a set
   * of timers per session would cost every idle session for two fields' worth of need).
   */
  setTimer(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (!this.closed) fn();
    }, ms);
    timer.unref();
    return timer;
  }

  /** Idempotent; cleans up the session's state at once, before the close handshake finishes. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authTimer);
    clearTimeout(this.expiryTimer);
    try {
      this.conn.close(code, reason);
    } finally {
      this.hooks.ended(this, code, reason);
    }
  }
}
