import type { Brewer } from '../protocol/pubkeeper/packets.js';

export type BrewerEventKind = 'notify' | 'removed';

/**
 * One brewer appearing or going, as every subscriber will be told. Each dialect encodes it at
 * most once, lazily, and the same bytes go to every subscriber of that dialect (STYLE §5.3).
 */
export class BrewerEvent {
  private readonly frames = new Map<string, string | Uint8Array>();
  /** How many encodings were built; a core test checks that fan-out builds one per dialect. */
  encodings = 0;

  constructor(
    readonly kind: BrewerEventKind,
    readonly topic: string,
    readonly brewer: Brewer,
  ) {}

  frame(dialectKey: string, build: (event: BrewerEvent) => string | Uint8Array): string | Uint8Array {
    let frame = this.frames.get(dialectKey);
    if (frame === undefined) {
      frame = build(this);
      this.frames.set(dialectKey, frame);
      this.encodings++;
    }
    return frame;
  }
}
