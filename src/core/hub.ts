import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CloseCode, CloseReason } from '../protocol/closeCodes.js';
import { fail, ok, type ErrorCode, type Result } from '../protocol/errors.js';
import { verifyToken, type Identity, type Keyring } from './auth/verifyToken.js';
import type { Connection } from './connection.js';
import { Discovery } from './discovery.js';
import type { Logger } from './logger.js';
import { PcpBroker } from './pcp/broker.js';
import { Session, type SessionLimits } from './session.js';

/** What the core needs of the configuration; the server's frozen Config satisfies it. */
export interface HubOptions extends SessionLimits {
  readonly issuer: string;
  readonly audience: string;
  readonly maxTokenBytes: number;
  readonly authTimeoutMs: number;
  readonly maxAuthFailures: number;
  readonly inventoryBatchMs: number;
}

export type SessionListener = (session: Session, code: number, reason: string) => void;

/** What the hub reports; the edge turns it into logs and metrics (STYLE §5.8). */
export interface HubEvents {
  sessionStarted: [session: Session];
  sessionEnded: [session: Session, code: number, reason: string];
  errorSent: [session: Session, code: ErrorCode];
}

// setTimeout keeps at most a 32-bit signed delay; longer would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The composition root of the core: one session table, one registry, one keyring, shared by every
 * dialect. Knows nothing of sockets.
 */
export class Hub extends EventEmitter<HubEvents> {
  readonly discovery = new Discovery();
  readonly sessions = new Set<Session>();
  readonly pcp: PcpBroker;
  private readonly endListeners: SessionListener[] = [];
  private readonly expiryTimers = new WeakMap<Session, NodeJS.Timeout>();

  constructor(
    readonly options: HubOptions,
    private keyring: Keyring,
    readonly log: Logger,
  ) {
    super();
    this.pcp = new PcpBroker(this);
  }

  onSessionEnd(listener: SessionListener): void {
    this.endListeners.push(listener);
  }

  replaceKeyring(keyring: Keyring): void {
    this.keyring = keyring;
  }

  createSession(dialect: string, conn: Connection, log: Logger): Session {
    const id = randomUUID();
    const session = new Session(id, dialect, conn, log.child({ session: id, dialect }), this.options, {
      ended: (s, code, reason) => this.endSession(s, code, reason),
      errored: (s, code) => this.emit('errorSent', s, code),
    });
    this.sessions.add(session);
    this.emit('sessionStarted', session);
    return session;
  }

  verify(token: unknown): Result<Identity> {
    return verifyToken(token, this.keyring, {
      issuer: this.options.issuer,
      audience: this.options.audience,
      maxTokenBytes: this.options.maxTokenBytes,
    });
  }

  /**
   * First authentication, or a refresh with a fresh token of the same `sub`. A refused token or
   * another `sub` changes nothing. [PK-AUTH-1] [PK-AUTH-4] [PK-AUTH-5]
   */
  authenticate(session: Session, token: unknown): Result<Identity> {
    // The very token the session holds (the SDK's barrier): already verified, same rights, same
    // exp, so there is nothing to re-check and nothing to prune.
    if (session.identity !== undefined && token === session.identity.token) return ok(session.identity);
    const verified = this.verify(token);
    if (!verified.ok) return verified;
    const identity = verified.value;
    if (session.identity && session.identity.sub !== identity.sub) {
      return fail('LACK_PERMISSIONS', `token is for another client than ${session.identity.sub}`);
    }
    this.adopt(session, identity);
    return ok(identity);
  }

  /** Binds an identity to a session: expiry timer, pruning of what its rights no longer allow. */
  adopt(session: Session, identity: Identity): void {
    const first = session.identity === undefined;
    session.identity = identity;
    this.armExpiry(session, identity);
    if (first) session.log = session.log.child({ sub: identity.sub });
    else this.discovery.enforceGrants(session);
  }

  /** [PK-AUTH-6] a token whose `exp` passes closes its session 4003. */
  private armExpiry(session: Session, identity: Identity): void {
    session.clearTimer(this.expiryTimers.get(session));
    if (identity.exp === undefined) return;
    const ms = identity.exp * 1000 - Date.now();
    const timer = session.setTimer(Math.max(0, Math.min(ms, MAX_TIMER_MS)), () => {
      if (identity.exp !== undefined && identity.exp * 1000 > Date.now()) return this.armExpiry(session, identity);
      session.log.warn('token expired, closing');
      session.close(CloseCode.TOKEN_EXPIRED, CloseReason.TOKEN_EXPIRED);
    });
    this.expiryTimers.set(session, timer);
  }

  private endSession(session: Session, code: number, reason: string): void {
    if (!this.sessions.delete(session)) return;
    this.discovery.endSession(session);
    for (const listener of this.endListeners) listener(session, code, reason);
    this.emit('sessionEnded', session, code, reason);
  }
}
