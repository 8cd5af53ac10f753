import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CloseCode, CloseReason } from '../protocol/closeCodes.js';
import { fail, type ErrorCode, type Result } from '../protocol/errors.js';
import { Revocations } from './admin/revocations.js';
import type { AuthRefusal, AuthSurface } from './auth/refusal.js';
import { verifyToken, type Identity, type Keyring } from './auth/verifyToken.js';
import type { Connection } from './connection.js';
import type { Dialect } from './dialects/dialect.js';
import type { PcpDialect } from './dialects/pcp/pcpDialect.js';
import { SessionDriver } from './dialects/sessionDriver.js';
import type { Logger } from './logger.js';
import type { EventEncoder } from './notify/eventEncoder.js';
import { Notifier } from './notify/notifier.js';
import { applyNotice } from './operations/admin/applyNotice.js';
import { operations } from './operations/index.js';
import { deliverRouted, notConnected } from './operations/route.js';
import { Inventory } from './pcp/inventory.js';
import { followUris } from './pcp/presence.js';
import type { CoreOptions, CoreStats, Ports } from './ports.js';
import { LocalRegistryEngine } from './registry/localEngine.js';
import type { RegistryEngine } from './registry/registryEngine.js';
import { Session, type PcpEndpoint, type SessionHooks } from './sessions/session.js';
import { SessionTable } from './sessions/sessionTable.js';
import { Subscriptions } from './subscriptions/subscriptions.js';
import { flatUuid } from './util/flatUuid.js';

/** What the core needs of the configuration; the server's frozen Config satisfies it. */
export type HubOptions = CoreOptions;

/** Where the edge hands a session's inbound frames, one at a time, in order. */
export interface InboundFrames {
  readonly session: Session;
  receive(data: Buffer, isBinary: boolean): void;
}

/** What the hub reports; the edge turns it into logs and metrics (STYLE §5.8). */
export interface HubEvents {
  sessionStarted: [session: Session];
  sessionEnded: [session: Session, code: number, reason: string];
  /** It authenticated, subscribed or unsubscribed. */
  sessionUpdated: [session: Session];
  errorSent: [session: Session, code: ErrorCode];
  /** A token was checked on `surface`, taking `seconds` (signature and claims, revocation included). */
  authChecked: [surface: AuthSurface, seconds: number];
  /** An authentication was refused, on any surface: the edge logs it at info and counts it. */
  authRefused: [refusal: AuthRefusal];
}

/**
 * The composition root of the core: one session table, one registry engine, one notification
 * pipeline, one keyring, shared by every dialect. It creates sessions and ends them; everything a
 * session asks for goes through the operations, which see only the ports. Knows nothing of sockets.
 */
export class Hub extends EventEmitter<HubEvents> implements Ports {
  readonly sessions = new SessionTable();
  readonly engine: RegistryEngine;
  readonly subscriptions = new Subscriptions();
  readonly stats: CoreStats = { notificationsSent: 0, messagesRouted: 0 };
  readonly notifier: Notifier;
  readonly inventory: Inventory;
  /** Revoked tokens: refused by `verify` whatever their signature ([ADM-REVOKE-1]). */
  readonly revocations = new Revocations();
  /** How every session reports back: one object for all of them, not three closures each. */
  private readonly sessionHooks: SessionHooks = {
    ended: (s, code, reason) => this.endSession(s, code, reason),
    errored: (s, code) => this.emit('errorSent', s, code),
    updated: (s) => this.emit('sessionUpdated', s),
    authRefused: (s, reason) =>
      this.refused({ surface: s.pcp ? 'pcp' : 'ws', reason, remoteAddress: s.remoteAddress, sub: s.sub, session: s.id, dialect: s.dialect }),
  };

  constructor(
    readonly options: HubOptions,
    private keyring: Keyring,
    readonly log: Logger,
    engine: RegistryEngine = new LocalRegistryEngine(randomUUID(), options.uuidReserveMs),
  ) {
    super();
    this.engine = engine;
    this.notifier = new Notifier(engine, this.sessions, this.subscriptions, this.stats);
    this.inventory = new Inventory(engine.uris, options.inventoryBatchMs);
    engine.onApplied(followUris(engine.node, this.sessions, this.inventory));
    // Other nodes' admin actions and routed messages (a single process has none).
    engine.onNotice((notice, fromThisNode) => {
      if (!fromThisNode) applyNotice(this, notice);
    });
    engine.onForwarded((to, message, from) => {
      if (deliverRouted(this.sessions.get(to.session), message)) return;
      const error = from && notConnected(message);
      if (error) void engine.forward(from, error);
    });
  }

  /** This node's copy of the brewer registrations, for reading. */
  get registry(): RegistryEngine['registry'] {
    return this.engine.registry;
  }

  /** This node's copy of the 1.x patrons, for reading. */
  get patrons(): RegistryEngine['patrons'] {
    return this.engine.patrons;
  }

  replaceKeyring(keyring: Keyring): void {
    this.keyring = keyring;
  }

  /** Checks a token as every surface does, and reports how long it took (`authChecked`). */
  verify(token: unknown, surface: AuthSurface): Result<Identity> {
    const started = performance.now();
    let verified = verifyToken(token, this.keyring, {
      issuer: this.options.issuer,
      audience: this.options.audience,
      maxTokenBytes: this.options.maxTokenBytes,
    });
    if (verified.ok && this.revocations.refuses(verified.value)) verified = fail('UNAUTHENTICATED', 'token revoked');
    this.emit('authChecked', surface, (performance.now() - started) / 1000);
    return verified;
  }

  /** Reports a refused authentication; the edge's surfaces (upgrades, admin, metrics) report theirs here too. */
  refused(refusal: AuthRefusal): void {
    this.emit('authRefused', refusal);
  }

  /** A session of an in-band dialect (JSON, 1.x); it authenticates with its first packets. */
  createSession<Request>(dialect: Dialect<Request>, conn: Connection, log: Logger, remoteAddress?: string): InboundFrames {
    return new SessionDriver(this, this.open(dialect, conn, log, undefined, remoteAddress), dialect);
  }

  /** A PCP session, authenticated at the upgrade: it takes its URI at once. */
  connectPcp(dialect: PcpDialect, uri: string, identity: Identity, conn: Connection, log: Logger, remoteAddress?: string): InboundFrames {
    const pcp: PcpEndpoint = { uri, encode: (message) => dialect.encodeMessage(message) };
    const session = this.open(dialect, conn, log, pcp, remoteAddress);
    const driver = new SessionDriver(this, session, dialect);
    const settle = (connected: Result<void>): void => {
      if (connected.ok) return;
      // A session that does not hold its URI could neither be reached nor be told apart: it goes.
      session.log.error({ code: connected.error.code }, 'could not take the URI, closing');
      session.close(CloseCode.INTERNAL, CloseReason.INTERNAL);
    };
    const connected = operations.connectPcp(this, session, identity);
    // In a cluster the claim comes back from the shared log: the session's frames wait for it.
    if (connected instanceof Promise) driver.hold(connected.then(settle));
    else settle(connected);
    return driver;
  }

  /**
   * The server is draining: sessions are about to close, so their brewers' removals are not
   * announced, and no more inventory updates go out.
   */
  drain(): void {
    this.notifier.quiet = true;
    this.inventory.stop();
    this.engine.drain();
  }

  private open(dialect: EventEncoder & { readonly name: string }, conn: Connection, log: Logger, pcp?: PcpEndpoint, remoteAddress?: string): Session {
    const id = flatUuid();
    const session = new Session({
      id,
      node: this.engine.node,
      dialect: dialect.name,
      encoder: dialect,
      conn,
      log,
      limits: this.options,
      hooks: this.sessionHooks,
      remoteAddress,
      ...(pcp ? { pcp } : {}),
    });
    this.sessions.add(session);
    this.emit('sessionStarted', session);
    return session;
  }

  /**
   * A session ended: its subscriptions are dropped, and what it holds goes (with BREWER_REMOVED);
   * `sessionEnded` is told once it has gone. [PK-END-1]
   */
  private endSession(session: Session, code: number, reason: string): void {
    if (!this.sessions.delete(session)) return;
    this.subscriptions.dropAll(session);
    this.inventory.unsubscribe(session);
    this.engine.release(session.ref, () => this.emit('sessionEnded', session, code, reason));
  }
}
