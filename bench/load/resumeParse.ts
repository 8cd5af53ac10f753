// Where a load client's parser picks up a new chunk of its byte stream: past the rest of a message
// it counted without reading (`skip`), or behind a partial message kept from the chunk before.

export interface ParseState {
  /** A message's bytes still to pass over: counted already, never parsed. */
  skip: number;
  /** The start of a message the last chunk cut off. */
  pending: Buffer | null;
}

/** The bytes to parse and the offset to start at; updates `state`. */
export function resumeParse(state: ParseState, chunk: Buffer): { buf: Buffer; off: number } {
  if (state.skip > 0) {
    const skipped = Math.min(state.skip, chunk.length);
    state.skip -= skipped;
    return { buf: chunk, off: skipped };
  }
  if (state.pending !== null) {
    const buf = Buffer.concat([state.pending, chunk]);
    state.pending = null;
    return { buf, off: 0 };
  }
  return { buf: chunk, off: 0 };
}
