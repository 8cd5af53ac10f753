// The DiscoveryClient's public face (options, events, the calls a caller makes), wiring together the
// reconnect loop, the recorded requests and their replay, which live in files of their own.
import { EventEmitter } from 'node:events';
import type { Brewer } from '../protocol/pubkeeper/packets.js';
import { DEFAULT_BACKOFF, ReconnectSchedule, checkBackoffOptions, type BackoffOptions, type RandomSource } from './backoff.js';
import { DiscoveryClientError, closedError, requestError } from './discoveryErrors.js';
import type { BrewerEventArgs } from './pubkeeperClient.js';
import { KnownBrewers, type BrewerChange } from './reconcile.js';
import { RecordedRequests, type Waiter } from './recordedRequests.js';
import { invalidServerUrl } from './serverUrl.js';
import { ReconnectLoop, type Attempt, type LoopHost } from './reconnectLoop.js';
import { SessionReplay } from './sessionReplay.js';
import { DEFAULT_RECONCILE_SETTLE_MS, SettleWindow, checkSettleMs } from './settleWindow.js';
import { DEFAULT_REFRESH, type RefreshOptions, type TokenProvider } from './tokenRefresh.js';
import { pubkeeperTransport, type DiscoveryTransport, type SessionHandlers, type TransportSession } from './transports.js';

export { DiscoveryClientError, type DiscoveryOperation } from './discoveryErrors.js';

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
  /**
   * After a reconnect, how long (ms) a brewer the new session's snapshot lacks may take to come
   * back before it is reported `brewerRemoved`. After a server restart the other clients replay
   * their registrations over the next moments; a brewer they bring back within the window (seen
   * as a live notification) is not reported at all, while new and changed brewers are reported at
   * once. `connected` follows the window, so at `connected` the view is reconciled. 0 reports
   * removals as soon as the snapshot is complete. Default 1500.
   */
  reconcileSettleMs?: number;
}

export interface DiscoveryClientEvents {
  /**
   * A session is authenticated, every registration and subscription has been replayed on it and
   * the view reconciled: after a reconnect that left brewers missing, once `reconcileSettleMs`
   * has passed (or every missing brewer came back).
   */
  connected: [{ url: string }];
  /** A session that had reported `connected` ended. */
  disconnected: [{ code: number; reason: string }];
  /** The next attempt is scheduled: `attempt` counts from 1 since the last stable session. */
  reconnecting: [{ attempt: number; delayMs: number; url: string }];
  brewerAdded: [BrewerEventArgs];
  brewerRemoved: [BrewerEventArgs];
  /**
   * A failed attempt, a refused request, an ERROR no request claimed (`operation` 'server'), or a
   * message the session dropped (`operation` 'inbound', an InvalidMessageError as `cause`: malformed,
   * or over PCP discovery sent by a peer instead of the broker). Emitted only while someone
   * listens: a failed reconnect must not throw from an emitter.
   */
  error: [DiscoveryClientError];
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
  private readonly requests = new RecordedRequests();
  private readonly known = new KnownBrewers();
  private readonly connectWaiters: Waiter[] = [];
  private readonly loop: ReconnectLoop;
  private readonly replay: SessionReplay;
  private readonly settle: SettleWindow;
  private live = false;
  private closing: Promise<void> | undefined;
  /** Requests on the current session, one after another, after its replay. Never rejects. */
  private chain: Promise<void> = Promise.resolve();

  constructor(options: DiscoveryClientOptions) {
    super();
    const urls = typeof options.url === 'string' ? [options.url] : [...options.url];
    if (urls.length === 0) throw new Error('DiscoveryClient needs at least one server URL.');
    // A URL that can never connect is the caller's mistake, not a reason to retry forever.
    for (const url of urls) {
      const invalid = invalidServerUrl(url);
      if (invalid) throw invalid;
    }
    const { token } = options;
    const provider: TokenProvider = typeof token === 'string' ? () => token : token;
    const transport = options.transport ?? pubkeeperTransport();
    const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    checkBackoffOptions(backoff);
    const schedule = new ReconnectSchedule(backoff, options.random ?? Math.random);
    const refresh = { ...DEFAULT_REFRESH, ...options.refresh };
    const settleMs = options.reconcileSettleMs ?? DEFAULT_RECONCILE_SETTLE_MS;
    checkSettleMs(settleMs);
    this.settle = new SettleWindow(settleMs);
    const host: LoopHost = {
      closing: () => this.closing !== undefined,
      handlersFor: (attempt) => this.handlersFor(attempt),
      opened: (attempt, session) => void this.runSession(attempt, session),
      ended: (code, reason) => this.sessionEnded(code, reason),
      reconnecting: (event) => this.emit('reconnecting', event),
      reportError: (error) => this.reportError(error),
    };
    this.loop = new ReconnectLoop({ urls, provider, transport, schedule, refresh, now: options.now ?? Date.now }, host);
    this.replay = new SessionReplay(this.requests, this.known, {
      alive: (attempt) => this.loop.alive(attempt),
      closing: host.closing,
      report: (changes) => this.report(changes),
      reportError: host.reportError,
    });
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
    this.loop.start();
    return connected;
  }

  /** Registers (or, with a changed object, updates) a brewer, now and after every reconnect. */
  registerBrewer(topic: string, brewer: Brewer): Promise<void> {
    if (this.closing) return Promise.reject(closedError());
    const { key, applied } = this.requests.register(topic, brewer);
    this.loop.start();
    void this.enqueue((attempt, session) => this.replay.registration(attempt, session, key));
    return applied;
  }

  /**
   * Stops re-registering the brewer. Resolves when the server has removed it, or at once while
   * disconnected: the server dropped it with our last session.
   */
  unregisterBrewer(topic: string, brewer: Brewer | string): Promise<void> {
    const uuid = typeof brewer === 'string' ? brewer : brewer.uuid;
    const entry = this.requests.unregister(topic, uuid);
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
    const { applied, added } = this.requests.subscribe(pattern);
    if (!added) return applied;
    this.loop.start();
    void this.enqueue((attempt, session) => this.replay.newSubscription(attempt, session, pattern));
    return applied;
  }

  /**
   * Drops a subscription. Brewers no remaining subscription covers leave the view and are reported
   * removed, so a consumer folding the events keeps holding exactly `brewers()`.
   */
  unsubscribe(pattern: string): Promise<void> {
    if (!this.requests.unsubscribe(pattern)) return Promise.resolve();
    this.report(this.known.forget(pattern));
    this.settledEarly();
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
    this.loop.stop();
    this.settle.close();
    const error = closedError();
    for (const waiter of this.connectWaiters.splice(0)) waiter.reject(error);
    this.requests.rejectAll(error);
    const session = this.loop.current?.session;
    if (session && !session.closed) {
      // Explicitly, before closing: the session's end would remove them too, but only once the
      // server notices; and a registration another session of ours took over would stay.
      const registrations = [...this.requests.registrations.values()];
      await Promise.allSettled(registrations.map((r) => session.unregisterBrewer(r.topic, r.brewer.uuid)));
      await session.close(1000);
    }
    // A connect still in flight sees `closing` and closes its session itself.
    await this.loop.inFlight;
    this.requests.clear();
  }

  /** Replays everything on a new session, waits out the settle window if brewers are missing, then reports `connected`. */
  private async runSession(attempt: Attempt, session: TransportSession): Promise<void> {
    this.chain = this.replay.all(attempt, session);
    await this.chain;
    if (!this.loop.alive(attempt) || session.closed) return;
    // Brewers the snapshots lacked may only be late: their owners replay them to a restarted
    // server over the next moments. Requests go on meanwhile (the chain does not wait).
    if (this.known.hasPendingRemovals()) await this.settle.wait();
    if (!this.loop.alive(attempt) || session.closed) return;
    this.report(this.known.settleRemovals());
    this.live = true;
    for (const waiter of this.connectWaiters.splice(0)) waiter.resolve();
    this.emit('connected', { url: attempt.url });
  }

  private sessionEnded(code: number, reason: string): void {
    this.settle.close();
    this.known.abortSnapshots();
    const wasLive = this.live;
    this.live = false;
    if (wasLive) this.emit('disconnected', { code, reason });
  }

  /** Runs `op` on the current session after everything queued before; skipped (resolved) without one. */
  private enqueue(op: (attempt: Attempt, session: TransportSession) => Promise<void>): Promise<void> {
    const attempt = this.loop.current;
    const session = attempt?.session;
    // No session: the wish is recorded and the next replay applies it.
    if (!attempt || !session) return Promise.resolve();
    const run = this.chain.then(() => (this.loop.alive(attempt) ? op(attempt, session) : undefined));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private handlersFor(attempt: Attempt): Omit<SessionHandlers, 'close'> {
    return {
      notify: (event) => {
        if (!this.loop.alive(attempt)) return;
        this.report(this.known.notify(event));
        this.settledEarly();
      },
      removed: (event) => {
        if (!this.loop.alive(attempt)) return;
        this.report(this.known.removed(event));
        this.settledEarly();
      },
      error: (error) => {
        if (this.loop.alive(attempt)) this.reportError(new DiscoveryClientError(error.message, 'server', { cause: error }));
      },
      invalid: (error) => {
        if (this.loop.alive(attempt)) this.reportError(new DiscoveryClientError(`dropped a message: ${error.message}`, 'inbound', { cause: error }));
      },
    };
  }

  /** Every brewer the settle window waited for came back (or was removed by the server): no need to wait on. */
  private settledEarly(): void {
    if (this.settle.open && !this.known.hasPendingRemovals()) this.settle.close();
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
