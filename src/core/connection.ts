/**
 * The narrow seam between the core and a socket (STYLE §5.2): send bytes, close with a code and
 * reason, report how much is still unsent. Only `server/` implements it over ws; core tests use
 * an in-memory one.
 */
export interface Connection {
  send(frame: string | Uint8Array): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}
