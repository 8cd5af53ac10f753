// The DiscoveryClient's one error type, and the few messages its parts build with it.

export type DiscoveryOperation = 'connect' | 'token' | 'refresh' | 'registerBrewer' | 'unregisterBrewer' | 'subscribe' | 'server' | 'close';

/** A failed attempt, a refused request or refresh, or an ERROR no request claimed. */
export class DiscoveryClientError extends Error {
  override readonly name = 'DiscoveryClientError';
  constructor(
    message: string,
    readonly operation: DiscoveryOperation,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function closedError(): DiscoveryClientError {
  return new DiscoveryClientError('the client was closed', 'close');
}

export function requestError(operation: DiscoveryOperation, subject: string, error: unknown): DiscoveryClientError {
  return new DiscoveryClientError(`${operation} ${subject} refused: ${messageOf(error)}`, operation, { cause: error });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
