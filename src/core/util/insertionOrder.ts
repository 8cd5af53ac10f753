interface Entry<T> {
  readonly seq: number;
  readonly item: T;
  alive: boolean;
}

export interface Page<T> {
  readonly items: T[];
  /** Where the next page starts (pass it as `after`), or null when this one reached the end. */
  readonly next: number | null;
}

/**
 * Items in the order they were added, for paging through a collection that changes between
 * pages: each item gets a rising sequence number, and a page starts after one. A page costs
 * O(log n + its length), whatever the collection's size; a removal is O(1), with the removed
 * entries swept out once they outnumber the live ones.
 */
export class InsertionOrder<T> {
  private entries: Entry<T>[] = [];
  private readonly byItem = new Map<T, Entry<T>>();
  private nextSeq = 1;
  private dead = 0;

  get size(): number {
    return this.byItem.size;
  }

  add(item: T): void {
    if (this.byItem.has(item)) return;
    const entry = { seq: this.nextSeq++, item, alive: true };
    this.entries.push(entry);
    this.byItem.set(item, entry);
  }

  delete(item: T): void {
    const entry = this.byItem.get(item);
    if (!entry) return;
    entry.alive = false;
    this.byItem.delete(item);
    if (++this.dead > Math.max(64, this.byItem.size)) this.sweep();
  }

  /** Up to `limit` items added after the one numbered `after` (0: from the start). */
  page(after: number, limit: number): Page<T> {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid]?.seq ?? 0) <= after) lo = mid + 1;
      else hi = mid;
    }
    const items: T[] = [];
    let last = after;
    for (let i = lo; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (!entry?.alive) continue;
      // One more live entry past a full page: there is a next page.
      if (items.length === limit) return { items, next: last };
      items.push(entry.item);
      last = entry.seq;
    }
    return { items, next: null };
  }

  private sweep(): void {
    this.entries = this.entries.filter((entry) => entry.alive);
    this.dead = 0;
  }
}
