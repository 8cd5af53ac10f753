import type { BrewerEvent } from '../brewerEvent.js';
import type { Frame } from '../connection.js';
import type { PairEvent } from './pairEvent.js';

/**
 * How a dialect turns the events of the one notification pipeline into its frames. A dialect
 * leaves out what it cannot receive: the 1.x dialect cannot subscribe, the others have no pairs.
 */
export interface EventEncoder {
  /** `uri` is the receiving session's PCP URI, for dialects that address every message. */
  encodeBrewerEvent?(event: BrewerEvent, uri: string | undefined): Frame;
  encodePairEvent?(event: PairEvent): Frame[];
}
