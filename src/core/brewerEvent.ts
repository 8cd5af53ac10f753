import type { Brewer } from '../protocol/pubkeeper/packets.js';

export type BrewerEventKind = 'notify' | 'removed';

/**
 * One brewer appearing or going, as every subscriber will be told. Each dialect encodes what it
 * needs of it at most once, lazily, under its own key, and the same bytes go to every session of
 * that dialect (STYLE §5.3).
 */
export class BrewerEvent {
  private readonly frames = new Map<string, unknown>();
  /** How many encodings were built; a core test checks that fan-out builds one per dialect. */
  encodings = 0;

  constructor(
    readonly kind: BrewerEventKind,
    readonly topic: string,
    readonly brewer: Brewer,
  ) {}

  /** The encoding cached under `key`, built by `build` the first time it is asked for. */
  frame<T>(key: string, build: (event: BrewerEvent) => T): T {
    if (this.frames.has(key)) return this.frames.get(key) as T;
    const frame = build(this);
    this.frames.set(key, frame);
    this.encodings++;
    return frame;
  }
}
