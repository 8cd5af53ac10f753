/** What it holds: anything keyed by its pattern's source (a session's `Subscription`). */
interface Keyed {
  readonly pattern: { readonly source: string };
}

/**
 * A session's subscriptions by pattern source: the one subscription itself while there is one,
 * as most sessions hold a single pattern (a Map costs each of them about 250 bytes), and a Map from
 * the second on. The slice of Map's interface the operations use.
 */
export class SessionSubscriptions<Subscription extends Keyed> {
  private one: Subscription | undefined;
  private many: Map<string, Subscription> | undefined;

  get size(): number {
    return this.many !== undefined ? this.many.size : this.one !== undefined ? 1 : 0;
  }

  get(source: string): Subscription | undefined {
    if (this.many !== undefined) return this.many.get(source);
    return this.one?.pattern.source === source ? this.one : undefined;
  }

  has(source: string): boolean {
    return this.get(source) !== undefined;
  }

  /** Keyed by the subscription's own pattern source. */
  set(source: string, subscription: Subscription): void {
    if (this.many !== undefined) this.many.set(source, subscription);
    else if (this.one === undefined || this.one.pattern.source === source) this.one = subscription;
    else {
      this.many = new Map([
        [this.one.pattern.source, this.one],
        [source, subscription],
      ]);
      this.one = undefined;
    }
  }

  delete(source: string): boolean {
    if (this.many !== undefined) return this.many.delete(source);
    if (this.one?.pattern.source !== source) return false;
    this.one = undefined;
    return true;
  }

  values(): IterableIterator<Subscription> {
    if (this.many !== undefined) return this.many.values();
    return (this.one !== undefined ? [this.one] : []).values();
  }

  keys(): IterableIterator<string> {
    if (this.many !== undefined) return this.many.keys();
    return (this.one !== undefined ? [this.one.pattern.source] : []).values();
  }
}
