// The connect/reconnect loop: one attempt at a time (token, connect, authenticate) over the server
// URLs in turn, and after each failure or drop a retry timed by the backoff and the close code.
import { closePolicy, type ReconnectSchedule } from './backoff.js';
import { DiscoveryClientError, messageOf } from './discoveryErrors.js';
import { SessionTokenRefresh } from './sessionTokenRefresh.js';
import type { RefreshOptions, TokenProvider, TokenReason } from './tokenRefresh.js';
import { TokenRefusedError, type DiscoveryTransport, type SessionHandlers, type TransportSession } from './transports.js';

/** One connect attempt and, once it succeeds, its session. Events of an older attempt are ignored. */
export interface Attempt {
  readonly url: string;
  session?: TransportSession;
  token?: string;
  connectedAt?: number;
}

export interface ReconnectLoopOptions {
  readonly urls: readonly string[];
  readonly provider: TokenProvider;
  readonly transport: DiscoveryTransport;
  readonly schedule: ReconnectSchedule;
  readonly refresh: RefreshOptions;
  /** Clock for session uptime and token refresh. */
  readonly now: () => number;
}

/** What the loop needs from the client. */
export interface LoopHost {
  closing(): boolean;
  /** The session's handlers but `close`, which the loop adds. */
  handlersFor(attempt: Attempt): Omit<SessionHandlers, 'close'>;
  /** A session is authenticated and its token refresh armed. */
  opened(attempt: Attempt, session: TransportSession): void;
  /** The current session ended; the retry is scheduled right after. */
  ended(code: number, reason: string): void;
  reconnecting(event: { attempt: number; delayMs: number; url: string }): void;
  reportError(error: DiscoveryClientError): void;
}

export class ReconnectLoop {
  private attempt: Attempt | undefined;
  private started = false;
  private attempting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private urlIndex = 0;
  private tokenReason: TokenReason = 'connect';
  private readonly refresh: SessionTokenRefresh;

  constructor(
    private readonly options: ReconnectLoopOptions,
    private readonly host: LoopHost,
  ) {
    this.refresh = new SessionTokenRefresh({
      provider: options.provider,
      refresh: options.refresh,
      now: options.now,
      alive: (attempt) => this.alive(attempt),
      reportError: (error) => host.reportError(error),
    });
  }

  /** The attempt under way, or its session; undefined while waiting to retry. */
  get current(): Attempt | undefined {
    return this.attempt;
  }

  /** The attempt in flight, if any: once the client is closing it closes its session itself. */
  get inFlight(): Promise<void> | undefined {
    return this.attempting;
  }

  alive(attempt: Attempt): boolean {
    return !this.host.closing() && this.attempt === attempt;
  }

  /** The first attempt, once; later ones follow on their own. */
  start(): void {
    if (this.started || this.host.closing()) return;
    this.started = true;
    this.launchAttempt();
  }

  /** No retry and no refresh from now on. */
  stop(): void {
    clearTimeout(this.retryTimer);
    this.refresh.cancel();
  }

  private launchAttempt(): void {
    this.retryTimer = undefined;
    const run = this.attemptOnce().finally(() => {
      if (this.attempting === run) this.attempting = undefined;
    });
    this.attempting = run;
  }

  private currentUrl(): string {
    const { urls } = this.options;
    return urls[this.urlIndex % urls.length] ?? '';
  }

  /** Token, connect, authenticate. The session's replay runs on its own, so close() never waits on it. */
  private async attemptOnce(): Promise<void> {
    const attempt: Attempt = { url: this.currentUrl() };
    this.attempt = attempt;
    let token: string;
    try {
      token = await this.options.provider({ reason: this.tokenReason });
      if (typeof token !== 'string' || token === '') throw new Error('the token provider returned no token');
    } catch (error) {
      return this.attemptFailed(attempt, new DiscoveryClientError(`token provider failed: ${messageOf(error)}`, 'token', { cause: error }));
    }
    if (!this.alive(attempt)) return;
    this.tokenReason = 'reconnect';
    let session: TransportSession;
    try {
      const handlers: SessionHandlers = {
        ...this.host.handlersFor(attempt),
        close: (code, reason) => this.sessionClosed(attempt, code, reason),
      };
      session = await this.options.transport.connect(attempt.url, token, handlers);
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
    attempt.connectedAt = this.options.now();
    this.refresh.arm(attempt, token, attempt.connectedAt);
    this.host.opened(attempt, session);
  }

  private sessionClosed(attempt: Attempt, code: number, reason: string): void {
    if (this.attempt !== attempt) return;
    this.attempt = undefined;
    this.refresh.cancel();
    this.host.ended(code, reason);
    const upMs = attempt.connectedAt === undefined ? undefined : this.options.now() - attempt.connectedAt;
    this.scheduleRetry(code, upMs);
  }

  private attemptFailed(attempt: Attempt, error: DiscoveryClientError): void {
    if (!this.alive(attempt)) return;
    this.attempt = undefined;
    this.host.reportError(error);
    this.scheduleRetry(undefined, undefined);
  }

  private scheduleRetry(code: number | undefined, upMs: number | undefined): void {
    if (this.host.closing()) return;
    const policy = closePolicy(code);
    if (policy.tokenRejected) this.tokenReason = 'rejected';
    this.options.schedule.sessionEnded(upMs);
    const { attempt, delayMs } = this.options.schedule.next(policy);
    this.urlIndex = (this.urlIndex + 1) % this.options.urls.length;
    this.host.reconnecting({ attempt, delayMs, url: this.currentUrl() });
    // Not unref'd: a client waiting to reconnect is what keeps a long-lived process alive.
    this.retryTimer = setTimeout(() => this.launchAttempt(), delayMs);
  }
}
