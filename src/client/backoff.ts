import { CloseCode } from '../protocol/closeCodes.js';

/** Uniform numbers in [0, 1): `Math.random`, or a seeded source so tests are repeatable. */
export type RandomSource = () => number;

export interface BackoffOptions {
  /** The first retry waits random(0, baseMs); each further one doubles the window. Default 1000. */
  baseMs: number;
  /** The window never grows past this. Default 30000. */
  capMs: number;
  /**
   * Only a session that stayed up this long resets the attempt counter. A server that accepts and
   * then drops us at once must not turn into an instant reconnect loop. Default 10000.
   */
  stableAfterMs: number;
  /** After 4004 (revoked), 4005 (kicked) or 4000 (superseded): no retry before this. Default 300000. */
  pauseMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  baseMs: 1000,
  capMs: 30_000,
  stableAfterMs: 10_000,
  pauseMs: 300_000,
});

/** Misconfiguration fails at construction, in one sentence. */
export function checkBackoffOptions(options: BackoffOptions): void {
  for (const [name, value] of Object.entries(options)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`DiscoveryClient: backoff.${name} must be a finite number of milliseconds, at least 0.`);
    }
  }
  // A zero window would retry at once, forever: the loop this client exists to avoid.
  if (options.baseMs <= 0 || options.capMs < options.baseMs) {
    throw new Error('DiscoveryClient: backoff.baseMs must be above 0 and backoff.capMs at least baseMs.');
  }
}

// 2 ** 53 is where doubling stops being exact; the cap has long taken over by then.
const MAX_EXPONENT = 52;

/**
 * "Full jitter": random(0, min(cap, base · 2^attempt)). Spreading every retry over the whole
 * window, rather than adding a little noise to a fixed delay, is what keeps a crowd of clients
 * dropped by one restart from coming back as one burst. `attempt` counts from 0.
 */
export function fullJitterDelay(attempt: number, options: Pick<BackoffOptions, 'baseMs' | 'capMs'>, random: RandomSource): number {
  const window = Math.min(options.capMs, options.baseMs * 2 ** Math.min(Math.max(attempt, 0), MAX_EXPONENT));
  return Math.floor(random() * window);
}

export interface ClosePolicy {
  /** Wait at least `pauseMs` before trying again: the server meant it. */
  pause: boolean;
  /** The token was the problem: the provider is asked for a new one, told why. */
  tokenRejected: boolean;
}

/**
 * What a close code (CONTRACT §6) asks of a reconnecting client. `undefined` is an attempt that
 * never got a session (refused connection, timeout).
 * - 4004 revoked, 4005 kicked: an operator removed us on purpose; coming straight back would undo
 *   that, so only after the long pause (4004 also wants a new token).
 * - 4000 superseded: another connection took our identity (PCP: newest wins). Fighting back would
 *   make the two supersede each other forever; the pause lets the newer one keep it.
 * - 4003 token expired/invalid, 4001 not authenticated in time: retry with a fresh token.
 * - Everything else (1001 going away, 1006 dropped, 1008, 1000 …): the normal backoff.
 */
export function closePolicy(code: number | undefined): ClosePolicy {
  switch (code) {
    case CloseCode.TOKEN_REVOKED:
      return { pause: true, tokenRejected: true };
    case CloseCode.KICKED:
    case CloseCode.SUPERSEDED:
      return { pause: true, tokenRejected: false };
    case CloseCode.TOKEN_EXPIRED:
    case CloseCode.AUTH_TIMEOUT:
      return { pause: false, tokenRejected: true };
    default:
      return { pause: false, tokenRejected: false };
  }
}

export interface ScheduledRetry {
  /** 1 for the first retry since the last stable session. */
  attempt: number;
  delayMs: number;
}

/**
 * The attempt counter and the delays it yields. It knows no clock: the caller says how long the
 * ended session was up, which is all the reset rule needs.
 */
export class ReconnectSchedule {
  private attempts = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: RandomSource,
  ) {}

  /** A session ended after `upMs` (undefined: the attempt never got one). */
  sessionEnded(upMs: number | undefined): void {
    if (upMs !== undefined && upMs >= this.options.stableAfterMs) this.attempts = 0;
  }

  /** The delay before the next attempt; a paused retry still gets its jitter, so a kicked crowd spreads too. */
  next(policy: ClosePolicy): ScheduledRetry {
    const jitter = fullJitterDelay(this.attempts, this.options, this.random);
    this.attempts = Math.min(this.attempts + 1, MAX_EXPONENT);
    return { attempt: this.attempts, delayMs: (policy.pause ? this.options.pauseMs : 0) + jitter };
  }
}

/**
 * A small seeded generator (mulberry32) for repeatable jitter in tests and simulations. Not for
 * anything that needs to be unpredictable.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
