// Keeps a live session's token fresh: asks the provider again before `exp` and sends the new token
// on the same session, so that it is never closed 4003.
import { DiscoveryClientError, messageOf } from './discoveryErrors.js';
import type { Attempt } from './reconnectLoop.js';
import { RefreshTimer, refreshAtMs, retryRefreshAtMs, type RefreshOptions, type TokenProvider } from './tokenRefresh.js';

export interface SessionTokenRefreshOptions {
  provider: TokenProvider;
  refresh: RefreshOptions;
  now: () => number;
  /** The attempt is still the current one and the client is not closing. */
  alive: (attempt: Attempt) => boolean;
  reportError: (error: DiscoveryClientError) => void;
}

/** One pending refresh at a time, for the current session. */
export class SessionTokenRefresh {
  private readonly timer: RefreshTimer;

  constructor(private readonly options: SessionTokenRefreshOptions) {
    this.timer = new RefreshTimer(options.now);
  }

  /** Remembers the session's token and schedules its refresh; a token without `exp` needs none. */
  arm(attempt: Attempt, token: string, receivedAtMs: number): void {
    attempt.token = token;
    const at = refreshAtMs(token, receivedAtMs, this.options.refresh);
    if (at === undefined) this.timer.cancel();
    else this.timer.at(at, () => void this.refresh(attempt));
  }

  cancel(): void {
    this.timer.cancel();
  }

  /** Sends a fresh token on the live session before the current one expires. */
  private async refresh(attempt: Attempt): Promise<void> {
    const { alive } = this.options;
    const session = attempt.session;
    if (!session || !alive(attempt)) return;
    let token: string;
    try {
      token = await this.options.provider({ reason: 'refresh' });
    } catch (error) {
      return this.refreshFailed(attempt, error);
    }
    if (!alive(attempt)) return;
    // Nothing newer to send: the session ends at `exp` and the reconnect asks again, as `rejected`.
    if (token === attempt.token) return;
    try {
      await session.refreshToken(token);
    } catch (error) {
      if (!alive(attempt) || session.closed) return;
      return this.refreshFailed(attempt, error);
    }
    if (alive(attempt)) this.arm(attempt, token, this.options.now());
  }

  private refreshFailed(attempt: Attempt, error: unknown): void {
    this.options.reportError(new DiscoveryClientError(`token refresh failed: ${messageOf(error)}`, 'refresh', { cause: error }));
    const at = attempt.token === undefined ? undefined : retryRefreshAtMs(attempt.token, this.options.now());
    if (at !== undefined) this.timer.at(at, () => void this.refresh(attempt));
  }
}
