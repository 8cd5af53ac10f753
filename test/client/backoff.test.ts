import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, ReconnectSchedule, closePolicy, fullJitterDelay, seededRandom } from '../../src/client/backoff.js';

const windows = { baseMs: 1000, capMs: 30_000 };

describe('client: full-jitter backoff', () => {
  it('draws from [0, min(cap, base·2^attempt)): the bounds follow the injected random source', () => {
    expect(fullJitterDelay(0, windows, () => 0)).toBe(0);
    expect(fullJitterDelay(0, windows, () => 0.999999)).toBe(999);
    expect(fullJitterDelay(1, windows, () => 0.999999)).toBe(1999);
    expect(fullJitterDelay(4, windows, () => 0.5)).toBe(8000);
    // 2^5 s = 32 s is past the cap: the window stops growing at 30 s, however many attempts.
    expect(fullJitterDelay(5, windows, () => 0.999999)).toBe(29_999);
    expect(fullJitterDelay(10_000, windows, () => 0.5)).toBe(15_000);
  });

  it('spreads delays evenly over the whole window, not around a fixed delay', () => {
    const random = seededRandom(7);
    const deciles = new Array<number>(10).fill(0);
    const samples = 20_000;
    for (let i = 0; i < samples; i++) {
      const delay = fullJitterDelay(3, windows, random);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(8000);
      deciles[Math.floor(delay / 800)]!++;
    }
    for (const count of deciles) expect(count / samples).toBeGreaterThan(0.09);
    for (const count of deciles) expect(count / samples).toBeLessThan(0.11);
  });

  it('seededRandom repeats its sequence for a seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(new Set(first).size).toBe(5);
    for (const value of first) expect(value).toBeGreaterThanOrEqual(0);
    for (const value of first) expect(value).toBeLessThan(1);
  });

  it('defaults: base 1 s, cap 30 s, stable after 10 s, pause 5 min', () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 1000, capMs: 30_000, stableAfterMs: 10_000, pauseMs: 300_000 });
  });
});

describe('client: close-code policy', () => {
  it.each([
    [4004, { pause: true, tokenRejected: true }],
    [4005, { pause: true, tokenRejected: false }],
    [4000, { pause: true, tokenRejected: false }],
    [4003, { pause: false, tokenRejected: true }],
    [4001, { pause: false, tokenRejected: true }],
    [1000, { pause: false, tokenRejected: false }],
    [1001, { pause: false, tokenRejected: false }],
    [1006, { pause: false, tokenRejected: false }],
    [1008, { pause: false, tokenRejected: false }],
    [undefined, { pause: false, tokenRejected: false }],
  ])('close %s → %o', (code, policy) => {
    expect(closePolicy(code)).toEqual(policy);
  });
});

describe('client: reconnect schedule', () => {
  const options = { baseMs: 100, capMs: 1000, stableAfterMs: 10_000, pauseMs: 300_000 };
  const top = (): number => 0.999999;

  it('doubles the window per attempt up to the cap, counting attempts from 1', () => {
    const schedule = new ReconnectSchedule(options, top);
    const retries = Array.from({ length: 6 }, () => schedule.next(closePolicy(1006)));
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(retries.map((r) => r.delayMs)).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('resets only after a session stayed up stableAfterMs: a quick drop after a clean connect keeps backing off', () => {
    const schedule = new ReconnectSchedule(options, top);
    schedule.next(closePolicy(undefined));
    schedule.next(closePolicy(undefined));
    schedule.sessionEnded(9_999); // connected, then dropped (even cleanly) too soon
    expect(schedule.next(closePolicy(1000))).toEqual({ attempt: 3, delayMs: 399 });
    schedule.sessionEnded(undefined); // never connected
    expect(schedule.next(closePolicy(1000)).attempt).toBe(4);
    schedule.sessionEnded(10_000);
    expect(schedule.next(closePolicy(1000))).toEqual({ attempt: 1, delayMs: 99 });
  });

  it('after 4004 and 4005 (and 4000) waits the pause plus jitter; never less than the pause', () => {
    const schedule = new ReconnectSchedule(options, seededRandom(3));
    for (const code of [4004, 4005, 4000, 4005]) {
      const { delayMs } = schedule.next(closePolicy(code));
      expect(delayMs).toBeGreaterThanOrEqual(options.pauseMs);
      expect(delayMs).toBeLessThan(options.pauseMs + options.capMs);
    }
    // A 4003 is not paused: the token is renewed and the normal window applies.
    expect(schedule.next(closePolicy(4003)).delayMs).toBeLessThan(options.capMs);
  });
});
