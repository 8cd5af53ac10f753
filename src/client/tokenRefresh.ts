/** Why the client asks for a token; a caching provider should not hand back the same one after `rejected`. */
export type TokenReason = 'connect' | 'reconnect' | 'refresh' | 'rejected';

export interface TokenRequest {
  reason: TokenReason;
}

/**
 * Called for every (re)connect and again before the current token's `exp`. `() => string` fits:
 * the request argument is only a hint.
 */
export type TokenProvider = (request: TokenRequest) => string | Promise<string>;

export interface RefreshOptions {
  /** Refresh after this share of the token's lifetime… Default 0.8. */
  ratio: number;
  /** …or this long before `exp`, whichever is earlier… Default 30000. */
  marginMs: number;
  /**
   * …but never before this share of the lifetime: for a token shorter than the margin, "30 s before
   * exp" lies before it was issued and would refresh in a loop. Default 0.5.
   */
  minRatio: number;
}

export const DEFAULT_REFRESH: Readonly<RefreshOptions> = Object.freeze({ ratio: 0.8, marginMs: 30_000, minRatio: 0.5 });

export interface TokenTimes {
  /** Seconds since the epoch, as in the JWT. */
  exp?: number;
  iat?: number;
}

/**
 * `exp` and `iat` from a JWT's payload, read WITHOUT verifying it: the server decides whether the
 * token is good; the client only needs to know when to ask for the next one. Anything unreadable
 * yields no times (the token is then never refreshed early).
 */
export function readTokenTimes(token: string): TokenTimes {
  const payload = token.split('.')[1];
  if (payload === undefined) return {};
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return {};
  }
  if (typeof claims !== 'object' || claims === null) return {};
  const { exp, iat } = claims as { exp?: unknown; iat?: unknown };
  return {
    ...(typeof exp === 'number' && Number.isFinite(exp) ? { exp } : {}),
    ...(typeof iat === 'number' && Number.isFinite(iat) ? { iat } : {}),
  };
}

/**
 * When (epoch ms) to refresh `token`, received at `receivedAtMs`; undefined when it never expires.
 * The lifetime runs from `iat` (or from receipt when `iat` is missing or in our future, i.e. the
 * clocks disagree) to `exp`.
 */
export function refreshAtMs(token: string, receivedAtMs: number, options: RefreshOptions = DEFAULT_REFRESH): number | undefined {
  const { exp, iat } = readTokenTimes(token);
  if (exp === undefined) return undefined;
  const expMs = exp * 1000;
  // Already expired: at once (the server will refuse it, and the refresh stops there).
  if (expMs <= receivedAtMs) return receivedAtMs;
  const startMs = iat !== undefined && iat * 1000 <= receivedAtMs ? iat * 1000 : receivedAtMs;
  const lifetime = expMs - startMs;
  const offset = Math.max(Math.min(options.ratio * lifetime, lifetime - options.marginMs), options.minRatio * lifetime);
  const at = startMs + offset;
  // A token that arrives past its own refresh point (issued long ago, or clocks apart) waits for
  // half of what is left, so a provider handing out such tokens cannot make refreshes run back to back.
  return at > receivedAtMs ? at : receivedAtMs + options.minRatio * (expMs - receivedAtMs);
}

/**
 * After a failed refresh: try again halfway to `exp`, while that is still at least `minGapMs`
 * away. Halving gives a few retries without a loop; past that the session ends at `exp` and the
 * reconnect asks for a token anyway.
 */
export function retryRefreshAtMs(token: string, nowMs: number, minGapMs = 1000): number | undefined {
  const { exp } = readTokenTimes(token);
  if (exp === undefined) return undefined;
  const half = (exp * 1000 - nowMs) / 2;
  return half >= minGapMs ? nowMs + half : undefined;
}

// setTimeout holds a 32-bit signed delay; a longer one would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One pending refresh at a time, at an absolute moment of the injected clock. Tokens may live for
 * months, past what one setTimeout can wait, so a far moment is reached in hops. Unref'd: the
 * session's socket keeps the process up, this timer must not on its own.
 */
export class RefreshTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number) {}

  at(atMs: number, fire: () => void): void {
    this.cancel();
    const wait = atMs - this.now();
    this.timer = setTimeout(() => (wait > MAX_TIMER_MS ? this.at(atMs, fire) : fire()), Math.max(0, Math.min(wait, MAX_TIMER_MS)));
    this.timer.unref();
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
