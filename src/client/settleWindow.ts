// The wait between reconciling a new session's snapshots and reporting the brewers they lacked:
// after a server restart the other clients replay their registrations over the next moments, and a
// brewer that is only late must not be reported removed and then added again.

/** Default `reconcileSettleMs`: long enough for a crowd of clients to come back after a restart. */
export const DEFAULT_RECONCILE_SETTLE_MS = 1500;

export function checkSettleMs(ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new Error('DiscoveryClient: reconcileSettleMs must be a number of ms, 0 or more.');
}

/** One window at a time; it can be closed early (nothing left pending, session ended, client closed). */
export class SettleWindow {
  private current: { timer: NodeJS.Timeout; done: () => void } | undefined;

  constructor(private readonly ms: number) {}

  /** True while a window is open. */
  get open(): boolean {
    return this.current !== undefined;
  }

  /** Resolves when the window has passed or was closed; at once for a window of 0 ms. */
  wait(): Promise<void> {
    this.close();
    if (this.ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.current?.done === done) this.current = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.ms);
      // The session's socket keeps the process up; this timer must not.
      timer.unref();
      this.current = { timer, done };
    });
  }

  /** Ends the open window now, if any. */
  close(): void {
    this.current?.done();
  }
}
