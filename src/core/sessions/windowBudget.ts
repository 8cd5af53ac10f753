/** The contract's budgets are per 10 s (`--max-errors-per-10s` and the others). */
export const WINDOW_MS = 10_000;

/**
 * What one connection may spend within a fixed 10 s window: errors answered, snapshot brewers
 * sent, token refreshes. Past `limit` its owner refuses (or closes, for errors).
 */
export class WindowBudget {
  private windowStart = 0;
  private inWindow = 0;

  constructor(private readonly limit: number) {}

  /** Spends `amount`; true when the window has gone past the budget with it. */
  spend(amount = 1, now = Date.now()): boolean {
    this.roll(now);
    this.inWindow += amount;
    return this.inWindow > this.limit;
  }

  /** True when nothing is left in the current window. */
  exhausted(now = Date.now()): boolean {
    this.roll(now);
    return this.inWindow >= this.limit;
  }

  get spent(): number {
    return this.inWindow;
  }

  private roll(now: number): void {
    if (now - this.windowStart < WINDOW_MS) return;
    this.windowStart = now;
    this.inWindow = 0;
  }
}
