import type { Brewer } from '../protocol/pubkeeper/packets.js';

export type BrewerEventKind = 'notify' | 'removed';

/**
 * One brewer appearing or going, as every subscriber will be told. Each dialect encodes what it
 * needs of it at most once, lazily, under its own key, and the same bytes go to every session of
 * that dialect (STYLE §5.3).
 */
export class BrewerEvent {
  // Encodings are never undefined, so one lookup tells a cached one from a missing one.
  private readonly frames = new Map<string, NonNullable<unknown>>();
  /** How many encodings were built; a core test checks that fan-out builds one per dialect. */
  encodings = 0;

  constructor(
    readonly kind: BrewerEventKind,
    readonly topic: string,
    readonly brewer: Brewer,
  ) {}

  /** The encoding cached under `key`, built by `build` the first time it is asked for. */
  frame<T extends NonNullable<unknown>>(key: string, build: (event: BrewerEvent) => T): T {
    const cached = this.frames.get(key);
    if (cached !== undefined) return cached as T;
    const frame = build(this);
    this.frames.set(key, frame);
    this.encodings++;
    return frame;
  }
}
