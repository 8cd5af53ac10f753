/**
 * One outbound WebSocket frame: its bytes, encoded once (a notification's frame is shared by every
 * session it goes to), and whether it travels as a text or a binary frame.
 */
export interface Frame {
  readonly bytes: Uint8Array;
  readonly binary: boolean;
}

export const textFrame = (text: string): Frame => ({ bytes: Buffer.from(text, 'utf8'), binary: false });
export const binaryFrame = (bytes: Uint8Array): Frame => ({ bytes, binary: true });

/**
 * The narrow seam between the core and a socket (STYLE §5.2): send a frame, close with a code and
 * reason, report how much is still unsent. Only `server/` implements it over ws (every frame to a
 * socket leaves through that one implementation); core tests use an in-memory one.
 */
export interface Connection {
  send(frame: Frame): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}
