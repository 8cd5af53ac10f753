/** The contract counts errors per 10 s (`--max-errors-per-10s`). */
export const ERROR_WINDOW_MS = 10_000;

/**
 * Errors answered to one connection within a fixed 10 s window; past `limit` the connection is
 * closed 1008 by its owner. Shared by the discovery sessions and the relay.
 */
export class ErrorBudget {
  private windowStart = 0;
  private inWindow = 0;

  constructor(private readonly limit: number) {}

  /** Counts one error; true when this one goes past the budget. */
  spend(now = Date.now()): boolean {
    if (now - this.windowStart >= ERROR_WINDOW_MS) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    return ++this.inWindow > this.limit;
  }

  get spent(): number {
    return this.inWindow;
  }
}
