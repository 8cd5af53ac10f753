import { describe, expect, it } from 'vitest';
import { readTokenTimes, refreshAtMs, retryRefreshAtMs } from '../../src/client/tokenRefresh.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsigned JWT-shaped token: the client reads its payload without verifying. */
const jwt = (claims: Record<string, unknown>): string => `${b64({ alg: 'ES256' })}.${b64(claims)}.sig`;

const T0 = 1_700_000_000; // seconds

describe('client: token refresh timing', () => {
  it('reads exp and iat without verifying; anything unreadable yields nothing', () => {
    expect(readTokenTimes(jwt({ exp: T0 + 60, iat: T0, sub: 'a' }))).toEqual({ exp: T0 + 60, iat: T0 });
    expect(readTokenTimes(jwt({ exp: 'soon' }))).toEqual({});
    expect(readTokenTimes('not-a-jwt')).toEqual({});
    expect(readTokenTimes('a.%%%.c')).toEqual({});
    expect(readTokenTimes(`x.${b64(null)}.y`)).toEqual({});
  });

  it('refreshes at 80 % of a long lifetime (1 h: after 48 min)', () => {
    const token = jwt({ iat: T0, exp: T0 + 3600 });
    expect(refreshAtMs(token, T0 * 1000)).toBe((T0 + 2880) * 1000);
  });

  it('or 30 s before exp when that is earlier (60 s token: after 30 s)', () => {
    const token = jwt({ iat: T0, exp: T0 + 60 });
    expect(refreshAtMs(token, T0 * 1000 + 500)).toBe((T0 + 30) * 1000);
  });

  it('never before half the lifetime: a 2 s token is refreshed after 1 s, not in a loop', () => {
    const token = jwt({ iat: T0, exp: T0 + 2 });
    expect(refreshAtMs(token, T0 * 1000 + 100)).toBe((T0 + 1) * 1000);
  });

  it('counts from receipt when iat is missing or lies in our future (clock skew)', () => {
    expect(refreshAtMs(jwt({ exp: T0 + 100 }), T0 * 1000)).toBe((T0 + 70) * 1000);
    expect(refreshAtMs(jwt({ iat: T0 + 50, exp: T0 + 100 }), T0 * 1000)).toBe((T0 + 70) * 1000);
  });

  it('a token without exp is never refreshed early; an expired one at once', () => {
    expect(refreshAtMs(jwt({ iat: T0 }), T0 * 1000)).toBeUndefined();
    expect(refreshAtMs(jwt({ iat: T0 - 10, exp: T0 - 5 }), T0 * 1000)).toBe(T0 * 1000);
  });

  it('a token received past its refresh point waits for half of what is left, not 0 ms', () => {
    const token = jwt({ iat: T0, exp: T0 + 10 });
    expect(refreshAtMs(token, (T0 + 9) * 1000)).toBe((T0 + 9.5) * 1000);
  });

  it('honours custom ratio and margin', () => {
    const token = jwt({ iat: T0, exp: T0 + 1000 });
    expect(refreshAtMs(token, T0 * 1000, { ratio: 0.9, marginMs: 50_000, minRatio: 0.5 })).toBe((T0 + 900) * 1000);
    expect(refreshAtMs(token, T0 * 1000, { ratio: 0.9, marginMs: 200_000, minRatio: 0.5 })).toBe((T0 + 800) * 1000);
  });

  it('after a failed refresh retries halfway to exp while that is at least a second away', () => {
    const token = jwt({ iat: T0, exp: T0 + 10 });
    expect(retryRefreshAtMs(token, (T0 + 6) * 1000)).toBe((T0 + 8) * 1000);
    expect(retryRefreshAtMs(token, (T0 + 9) * 1000)).toBeUndefined();
    expect(retryRefreshAtMs(jwt({}), T0 * 1000)).toBeUndefined();
  });
});
