import type { Applied } from '../../core/registry/changes.js';

/** Applied entries kept for a proposer whose script reply comes after the log brought its entry. */
const RECENT_ENTRIES = 1024;

/**
 * The shared log as this node has applied it: strictly in seq order, each entry once. An entry
 * may come twice (from the script that wrote it, to its proposer, and from the log, to every
 * node) and in either order; one that comes before those between is kept until they have come.
 * A proposer waits here for its own entry, so it reads its own write.
 */
export class AppliedLog {
  /** The last seq applied. */
  seq = 0;
  /** While set, entries wait: a snapshot is coming, and applied before it they would be undone by it. */
  private held = false;
  private readonly pending = new Map<number, string>();
  private readonly waiters = new Map<number, ((applied: readonly Applied[]) => void)[]>();
  private readonly recent = new Map<number, readonly Applied[]>();

  /** `apply` applies one entry's text to the node's copy and returns what it changed. */
  constructor(private readonly apply: (seq: number, text: string) => readonly Applied[]) {}

  /** Is the entry after the last applied one here, waiting? (Else a later one means a gap.) */
  hasNext(): boolean {
    return this.pending.has(this.seq + 1);
  }

  /** An entry, from the log or a script's reply: applied now if it is the next, else kept until it is. */
  offer(seq: number, text: string): void {
    if (seq <= this.seq) return;
    this.pending.set(seq, text);
    this.drain();
  }

  /** Resolves once entry `seq` has been applied here, with what it changed. */
  appliedAt(seq: number, text: string): Promise<readonly Applied[]> {
    if (seq <= this.seq) return Promise.resolve(this.recent.get(seq) ?? []);
    const applied = new Promise<readonly Applied[]>((resolve) => {
      const waiting = this.waiters.get(seq);
      if (waiting) waiting.push(resolve);
      else this.waiters.set(seq, [resolve]);
    });
    this.offer(seq, text);
    return applied;
  }

  /** Entries wait from now until `resume` (a snapshot is wanted). */
  hold(): void {
    this.held = true;
  }

  resume(): void {
    this.held = false;
    this.drain();
  }

  /** A snapshot as of `seq` took the place of every entry up to it. */
  jumpTo(seq: number): void {
    this.seq = seq;
    for (const key of this.pending.keys()) if (key <= seq) this.pending.delete(key);
    this.settle(seq);
  }

  /** A new epoch: the log starts again from its first entry, and what was awaited will never come. */
  restart(): void {
    this.seq = 0;
    this.pending.clear();
    this.settle(Number.POSITIVE_INFINITY);
  }

  private drain(): void {
    for (let next = this.pending.get(this.seq + 1); next !== undefined && !this.held; next = this.pending.get(this.seq + 1)) {
      const seq = this.seq + 1;
      this.pending.delete(seq);
      this.seq = seq;
      const out = this.apply(seq, next);
      this.recent.set(seq, out);
      if (this.recent.size > RECENT_ENTRIES) this.recent.delete(this.recent.keys().next().value as number);
      const waiting = this.waiters.get(seq);
      if (!waiting) continue;
      this.waiters.delete(seq);
      for (const resolve of waiting) resolve(out);
    }
  }

  /** Entries up to `seq` will never be applied one by one: their proposers learn what is known. */
  private settle(seq: number): void {
    for (const [waitingFor, waiting] of this.waiters) {
      if (waitingFor > seq) continue;
      this.waiters.delete(waitingFor);
      for (const resolve of waiting) resolve(this.recent.get(waitingFor) ?? []);
    }
  }
}
