/**
 * The slice of a pino logger the core uses. The edge (CLI or embedder) creates pino and passes
 * it in; the core never constructs a logger of its own.
 */
export interface Logger {
  child(bindings: Record<string, unknown>): Logger;
  error(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  /** Whether a line at `level` would be written: a caller skips building what nobody reads. */
  isLevelEnabled(level: 'error' | 'warn' | 'info' | 'debug'): boolean;
}

/** For tests and embedders that want no output. */
export const silentLogger: Logger = {
  child: () => silentLogger,
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  isLevelEnabled: () => false,
};
