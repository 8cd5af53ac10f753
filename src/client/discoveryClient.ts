import { EventEmitter } from 'node:events';
import type { Brewer } from '../protocol/pubkeeper/packets.js';
import { DEFAULT_BACKOFF, ReconnectSchedule, checkBackoffOptions, closePolicy, type BackoffOptions, type RandomSource } from './backoff.js';
import type { BrewerEventArgs } from './pubkeeperClient.js';
import { KnownBrewers, brewerKey, type BrewerChange } from './reconcile.js';
import {
  DEFAULT_REFRESH,
  RefreshTimer,
  refreshAtMs,
  retryRefreshAtMs,
  type RefreshOptions,
  type TokenProvider,
  type TokenReason,
} from './tokenRefresh.js';
import { TokenRefusedError, pubkeeperTransport, type DiscoveryTransport, type SessionHandlers, type TransportSession } from './transports.js';

export interface DiscoveryClientOptions {
  /**
   * One server URL, or several tried in turn (each attempt moves to the next). For the default /ws
   * transport `ws://host:port/ws`; for `pcpTransport()` `ws://host:port`.
   */
  url: string | readonly string[];
  /** A fixed token, or a provider called for every (re)connect and again before the token's `exp`. */
  token: string | TokenProvider;
  /** Default `pubkeeperTransport()` (the /ws JSON dialect). */
  transport?: DiscoveryTransport;
  backoff?: Partial<BackoffOptions>;
  refresh?: Partial<RefreshOptions>;
  /** Jitter source; inject a seeded one to make delays repeatable. Default Math.random. */
  random?: RandomSource;
  /** Clock for session uptime and token refresh. Default Date.now. */
  now?: () => number;
}

export interface DiscoveryClientEvents {
  /** A session is authenticated and every registration and subscription has been replayed on it. */
  connected: [{ url: string }];
  /** A session that had reported `connected` ended. */
  disconnected: [{ code: number; reason: string }];
  /** The next attempt is scheduled: `attempt` counts from 1 since the last stable session. */
  reconnecting: [{ attempt: number; delayMs: number; url: string }];
  brewerAdded: [BrewerEventArgs];
  brewerRemoved: [BrewerEventArgs];
  /** Emitted only while someone listens: a failed reconnect must not throw from an emitter. */
  error: [DiscoveryClientError];
}

export type DiscoveryOperation = 'connect' | 'token' | 'refresh' | 'registerBrewer' | 'unregisterBrewer' | 'subscribe' | 'server' | 'close';

/** A failed attempt, a refused request or refresh, or an ERROR no request claimed. */
export class DiscoveryClientError extends Error {
  override readonly name = 'DiscoveryClientError';
  constructor(
    message: string,
    readonly operation: DiscoveryOperation,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Registration {
  readonly topic: string;
  readonly brewer: Brewer;
  readonly waiters: Waiter[];
}

interface Subscription {
  readonly waiters: Waiter[];
  applied: boolean;
}

/** One connect attempt and, once it succeeds, its session. Events of an older attempt are ignored. */
interface Attempt {
  readonly url: string;
  session?: TransportSession;
  token?: string;
  connectedAt?: number;
}

/**
 * A discovery client that survives failures: reconnects with full-jitter backoff over one or more
 * servers, honours close codes, refreshes its token before `exp`, and after every reconnect replays
 * its registrations and subscriptions and reconciles what it knew with what the server now says.
 *
 * `registerBrewer` and `subscribe` record the wish at once and resolve when the server has applied
 * it — possibly on a later session if we are disconnected — and reject if the server refuses it
 * (the wish is then dropped) or the client is closed first. Any call starts the client.
 */
export class DiscoveryClient extends EventEmitter<DiscoveryClientEvents> {
  private readonly urls: readonly string[];
  private readonly provider: TokenProvider;
  private readonly transport: DiscoveryTransport;
  private readonly schedule: ReconnectSchedule;
  private readonly refreshOptions: RefreshOptions;
  private readonly now: () => number;
  private readonly registrations = new Map<string, Registration>();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly known = new KnownBrewers();
  private readonly connectWaiters: Waiter[] = [];
  private current: Attempt | undefined;
  private live = false;
  private started = false;
  private closing: Promise<void> | undefined;
  private attempting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly refreshTimer: RefreshTimer;
  private urlIndex = 0;
  private tokenReason: TokenReason = 'connect';
  /** Requests on the current session, one after another, after its replay. Never rejects. */
  private chain: Promise<void> = Promise.resolve();

  constructor(options: DiscoveryClientOptions) {
    super();
    this.urls = typeof options.url === 'string' ? [options.url] : [...options.url];
    if (this.urls.length === 0) throw new Error('DiscoveryClient needs at least one server URL.');
    const { token } = options;
    this.provider = typeof token === 'string' ? () => token : token;
    this.transport = options.transport ?? pubkeeperTransport();
    const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    checkBackoffOptions(backoff);
    this.schedule = new ReconnectSchedule(backoff, options.random ?? Math.random);
    this.refreshOptions = { ...DEFAULT_REFRESH, ...options.refresh };
    this.now = options.now ?? Date.now;
    this.refreshTimer = new RefreshTimer(this.now);
  }

  /** True between `connected` and `disconnected`. */
  get connected(): boolean {
    return this.live;
  }

  /** The brewers the subscriptions currently cover, as last reported. */
  brewers(): BrewerEventArgs[] {
    return this.known.list();
  }

  /** Starts the client if needed; resolves at the next `connected` (at once if connected). */
  connect(): Promise<void> {
    if (this.closing) return Promise.reject(closedError());
    if (this.live) return Promise.resolve();
    const connected = new Promise<void>((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
    this.start();
    return connected;
  }

  /** Registers (or, with a changed object, updates) a brewer, now and after every reconnect. */
  registerBrewer(topic: string, brewer: Brewer): Promise<void> {
    if (this.closing) return Promise.reject(closedError());
    const key = brewerKey(topic, brewer.uuid);
    // Callers still waiting on an older object of this brewer are answered with the newer one.
    const entry: Registration = { topic, brewer, waiters: this.registrations.get(key)?.waiters ?? [] };
    const applied = new Promise<void>((resolve, reject) => entry.waiters.push({ resolve, reject }));
    this.registrations.set(key, entry);
    this.start();
    void this.enqueue((attempt, session) => this.applyRegistration(attempt, session, key));
    return applied;
  }

  /**
   * Stops re-registering the brewer. Resolves when the server has removed it, or at once while
   * disconnected: the server dropped it with our last session.
   */
  unregisterBrewer(topic: string, brewer: Brewer | string): Promise<void> {
    const uuid = typeof brewer === 'string' ? brewer : brewer.uuid;
    const key = brewerKey(topic, uuid);
    const entry = this.registrations.get(key);
    this.registrations.delete(key);
    for (const waiter of entry?.waiters.splice(0) ?? []) waiter.resolve();
    if (this.closing) return Promise.resolve();
    return this.enqueue(async (_attempt, session) => {
      try {
        await session.unregisterBrewer(topic, uuid);
      } catch (error) {
        // Ours but never applied, or the session went: nothing is left registered. Not ours: say so.
        if (!entry && !session.closed) throw requestError('unregisterBrewer', topic, error);
      }
    });
  }

  /** Subscribes to a pattern, now and after every reconnect; resolves once its snapshot was reported. */
  subscribe(pattern: string): Promise<void> {
    if (this.closing) return Promise.reject(closedError());
    const existing = this.subscriptions.get(pattern);
    if (existing?.applied) return Promise.resolve();
    const subscription = existing ?? { waiters: [], applied: false };
    const applied = new Promise<void>((resolve, reject) => subscription.waiters.push({ resolve, reject }));
    if (existing) return applied;
    this.subscriptions.set(pattern, subscription);
    this.start();
    void this.enqueue(async (attempt, session) => {
      if (!this.subscriptions.has(pattern)) return;
      this.known.beginSnapshot(pattern);
      await this.applySubscription(attempt, session, pattern);
    });
    return applied;
  }

  /**
   * Drops a subscription. Brewers no remaining subscription covers leave the view and are reported
   * removed, so a consumer folding the events keeps holding exactly `brewers()`.
   */
  unsubscribe(pattern: string): Promise<void> {
    const subscription = this.subscriptions.get(pattern);
    if (!subscription) return Promise.resolve();
    this.subscriptions.delete(pattern);
    for (const waiter of subscription.waiters.splice(0)) waiter.resolve();
    this.report(this.known.forget(pattern));
    if (this.closing) return Promise.resolve();
    return this.enqueue(async (_attempt, session) => {
      // Refused or lost, it leaves nothing to undo: notifications for the pattern are ignored now.
      await session.unsubscribe(pattern).catch(() => undefined);
    });
  }

  /** Unregisters every brewer first (subscribers see them go), then closes 1000 and stops reconnecting. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.refreshTimer.cancel();
    const error = closedError();
    for (const waiter of this.connectWaiters.splice(0)) waiter.reject(error);
    for (const entry of this.registrations.values()) for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
    for (const entry of this.subscriptions.values()) for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
    const session = this.current?.session;
    if (session && !session.closed) {
      // Explicitly, before closing: the session's end would remove them too, but only once the
      // server notices; and a registration another session of ours took over would stay.
      const registrations = [...this.registrations.values()];
      await Promise.allSettled(registrations.map((r) => session.unregisterBrewer(r.topic, r.brewer.uuid)));
      await session.close(1000);
    }
    // A connect still in flight sees `closing` and closes its session itself.
    await this.attempting;
    this.registrations.clear();
    this.subscriptions.clear();
  }

  private start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.launchAttempt();
  }

  private launchAttempt(): void {
    this.retryTimer = undefined;
    const run = this.attemptOnce().finally(() => {
      if (this.attempting === run) this.attempting = undefined;
    });
    this.attempting = run;
  }

  private alive(attempt: Attempt): boolean {
    return this.closing === undefined && this.current === attempt;
  }

  private currentUrl(): string {
    return this.urls[this.urlIndex % this.urls.length] ?? '';
  }

  /** Token, connect, authenticate. The session's replay runs on its own, so close() never waits on it. */
  private async attemptOnce(): Promise<void> {
    const attempt: Attempt = { url: this.currentUrl() };
    this.current = attempt;
    let token: string;
    try {
      token = await this.provider({ reason: this.tokenReason });
      if (typeof token !== 'string' || token === '') throw new Error('the token provider returned no token');
    } catch (error) {
      return this.attemptFailed(attempt, new DiscoveryClientError(`token provider failed: ${messageOf(error)}`, 'token', { cause: error }));
    }
    if (!this.alive(attempt)) return;
    this.tokenReason = 'reconnect';
    let session: TransportSession;
    try {
      session = await this.transport.connect(attempt.url, token, this.handlersFor(attempt));
    } catch (error) {
      if (error instanceof TokenRefusedError) this.tokenReason = 'rejected';
      const failure = new DiscoveryClientError(`could not connect to ${attempt.url}: ${messageOf(error)}`, 'connect', { cause: error });
      return this.attemptFailed(attempt, failure);
    }
    attempt.session = session;
    if (!this.alive(attempt)) {
      await session.close(1000);
      return;
    }
    attempt.connectedAt = this.now();
    this.armRefresh(attempt, token, attempt.connectedAt);
    void this.runSession(attempt, session);
  }

  private async runSession(attempt: Attempt, session: TransportSession): Promise<void> {
    this.chain = this.replay(attempt, session);
    await this.chain;
    if (!this.alive(attempt) || session.closed) return;
    this.live = true;
    for (const waiter of this.connectWaiters.splice(0)) waiter.resolve();
    this.emit('connected', { url: attempt.url });
  }

  /**
   * Every registration and subscription again, pipelined. Snapshots are collected beside what we
   * knew and reconciled as each subscribe is acknowledged.
   */
  private async replay(attempt: Attempt, session: TransportSession): Promise<void> {
    const patterns = [...this.subscriptions.keys()];
    for (const pattern of patterns) this.known.beginSnapshot(pattern);
    await Promise.all([
      ...[...this.registrations.keys()].map((key) => this.applyRegistration(attempt, session, key)),
      ...patterns.map((pattern) => this.applySubscription(attempt, session, pattern)),
    ]);
  }

  /** Never rejects: a refusal rejects the callers (or is reported); a lost session leaves the wish for the next replay. */
  private async applyRegistration(attempt: Attempt, session: TransportSession, key: string): Promise<void> {
    const entry = this.registrations.get(key);
    if (!entry || !this.alive(attempt)) return;
    const waiters = entry.waiters.splice(0);
    try {
      await session.registerBrewer(entry.topic, entry.brewer);
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      if (!this.alive(attempt) || session.closed) return this.defer(waiters, this.registrations.get(key)?.waiters);
      if (this.registrations.get(key) === entry) this.registrations.delete(key);
      this.fail(waiters, requestError('registerBrewer', entry.topic, error));
    }
  }

  /** Like applyRegistration; the caller has begun the pattern's snapshot. */
  private async applySubscription(attempt: Attempt, session: TransportSession, pattern: string): Promise<void> {
    const subscription = this.subscriptions.get(pattern);
    if (!subscription || !this.alive(attempt)) return;
    const waiters = subscription.waiters.splice(0);
    try {
      await session.subscribe(pattern);
      if (!this.alive(attempt)) return this.defer(waiters, this.subscriptions.get(pattern)?.waiters);
      if (this.subscriptions.get(pattern) === subscription) {
        subscription.applied = true;
        this.report(this.known.endSnapshot(pattern));
      }
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      if (!this.alive(attempt) || session.closed) return this.defer(waiters, this.subscriptions.get(pattern)?.waiters);
      if (this.subscriptions.get(pattern) === subscription) {
        this.subscriptions.delete(pattern);
        this.report(this.known.forget(pattern));
      }
      this.fail(waiters, requestError('subscribe', pattern, error));
    }
  }

  /** The session ended before an answer: hand the callers to the wish's next replay, or settle them. */
  private defer(waiters: Waiter[], into: Waiter[] | undefined): void {
    if (this.closing) for (const waiter of waiters) waiter.reject(closedError());
    else if (into) into.push(...waiters);
    else for (const waiter of waiters) waiter.resolve(); // withdrawn meanwhile: nothing left to wait for
  }

  private fail(waiters: Waiter[], error: DiscoveryClientError): void {
    if (waiters.length === 0) this.reportError(error);
    for (const waiter of waiters) waiter.reject(error);
  }

  /** Runs `op` on the current session after everything queued before; skipped (resolved) without one. */
  private enqueue(op: (attempt: Attempt, session: TransportSession) => Promise<void>): Promise<void> {
    const attempt = this.current;
    const session = attempt?.session;
    // No session: the wish is recorded and the next replay applies it.
    if (!attempt || !session) return Promise.resolve();
    const run = this.chain.then(() => (this.alive(attempt) ? op(attempt, session) : undefined));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private handlersFor(attempt: Attempt): SessionHandlers {
    return {
      notify: (event) => {
        if (this.alive(attempt)) this.report(this.known.notify(event));
      },
      removed: (event) => {
        if (this.alive(attempt)) this.report(this.known.removed(event));
      },
      error: (error) => {
        if (this.alive(attempt)) this.reportError(new DiscoveryClientError(error.message, 'server', { cause: error }));
      },
      close: (code, reason) => this.sessionClosed(attempt, code, reason),
    };
  }

  private sessionClosed(attempt: Attempt, code: number, reason: string): void {
    if (this.current !== attempt) return;
    this.current = undefined;
    this.refreshTimer.cancel();
    this.known.abortSnapshots();
    const wasLive = this.live;
    this.live = false;
    if (wasLive) this.emit('disconnected', { code, reason });
    const upMs = attempt.connectedAt === undefined ? undefined : this.now() - attempt.connectedAt;
    this.scheduleRetry(code, upMs);
  }

  private attemptFailed(attempt: Attempt, error: DiscoveryClientError): void {
    if (!this.alive(attempt)) return;
    this.current = undefined;
    this.reportError(error);
    this.scheduleRetry(undefined, undefined);
  }

  private scheduleRetry(code: number | undefined, upMs: number | undefined): void {
    if (this.closing) return;
    const policy = closePolicy(code);
    if (policy.tokenRejected) this.tokenReason = 'rejected';
    this.schedule.sessionEnded(upMs);
    const { attempt, delayMs } = this.schedule.next(policy);
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    this.emit('reconnecting', { attempt, delayMs, url: this.currentUrl() });
    // Not unref'd: a client waiting to reconnect is what keeps a long-lived process alive.
    this.retryTimer = setTimeout(() => this.launchAttempt(), delayMs);
  }

  private armRefresh(attempt: Attempt, token: string, receivedAtMs: number): void {
    attempt.token = token;
    const at = refreshAtMs(token, receivedAtMs, this.refreshOptions);
    if (at === undefined) this.refreshTimer.cancel();
    else this.refreshTimer.at(at, () => void this.refresh(attempt));
  }

  /** Sends a fresh token on the live session before the current one expires. */
  private async refresh(attempt: Attempt): Promise<void> {
    const session = attempt.session;
    if (!session || !this.alive(attempt)) return;
    let token: string;
    try {
      token = await this.provider({ reason: 'refresh' });
    } catch (error) {
      return this.refreshFailed(attempt, error);
    }
    if (!this.alive(attempt)) return;
    // Nothing newer to send: the session ends at `exp` and the reconnect asks again, as `rejected`.
    if (token === attempt.token) return;
    try {
      await session.refreshToken(token);
    } catch (error) {
      if (!this.alive(attempt) || session.closed) return;
      return this.refreshFailed(attempt, error);
    }
    if (this.alive(attempt)) this.armRefresh(attempt, token, this.now());
  }

  private refreshFailed(attempt: Attempt, error: unknown): void {
    this.reportError(new DiscoveryClientError(`token refresh failed: ${messageOf(error)}`, 'refresh', { cause: error }));
    const at = attempt.token === undefined ? undefined : retryRefreshAtMs(attempt.token, this.now());
    if (at !== undefined) this.refreshTimer.at(at, () => void this.refresh(attempt));
  }

  private report(changes: readonly BrewerChange[]): void {
    for (const { kind, topic, brewer } of changes) {
      if (kind === 'added') this.emit('brewerAdded', { topic, brewer });
      else this.emit('brewerRemoved', { topic, brewer });
    }
  }

  private reportError(error: DiscoveryClientError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

function closedError(): DiscoveryClientError {
  return new DiscoveryClientError('the client was closed', 'close');
}

function requestError(operation: DiscoveryOperation, subject: string, error: unknown): DiscoveryClientError {
  return new DiscoveryClientError(`${operation} ${subject} refused: ${messageOf(error)}`, operation, { cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
