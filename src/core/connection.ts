/**
 * One outbound WebSocket frame, and whether it travels as a text or a binary frame. A frame that
 * many sessions receive (a notification, a constant answer) holds its bytes, encoded once and
 * shared, so no socket converts the same text again. A text frame for one session only (an answer,
 * a routed message, a PCP notification with its own head) may hold the string: the edge writes it
 * straight into the wire frame, one copy instead of two.
 */
export interface Frame {
  readonly data: Uint8Array | string;
  readonly binary: boolean;
  /**
   * The edge's cache of this frame as it goes on the wire (WebSocket header and payload), filled
   * on the first send, so a frame many sessions receive is framed once and the same bytes are
   * written to every socket. The core never reads it.
   */
  wire: Uint8Array | undefined;
}

/** A text frame many sessions receive: its bytes, once. */
export const sharedTextFrame = (text: string): Frame => ({ data: Buffer.from(text, 'utf8'), binary: false, wire: undefined });
/** A text frame for one session. */
export const textFrame = (text: string): Frame => ({ data: text, binary: false, wire: undefined });
export const binaryFrame = (bytes: Uint8Array): Frame => ({ data: bytes, binary: true, wire: undefined });

/**
 * The narrow seam between the core and a socket (STYLE §5.2): send a frame, close with a code and
 * reason, report how much is still unsent (held for coalescing or queued in the kernel's stead).
 * Only `server/` implements it over ws (every frame to a socket leaves through that one
 * implementation); core tests use an in-memory one.
 */
export interface Connection {
  send(frame: Frame): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}
