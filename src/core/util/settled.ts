/**
 * A value now, or later. The in-process registry engine answers synchronously, so a single node
 * behaves exactly as it always has (a SUBSCRIBE's snapshot and the changes after it can neither
 * overlap nor leave a gap); a shared engine answers once the change has come back from the
 * shared log. Code on the request path is written once for both with `andThen`.
 */
export type Settled<T> = T | Promise<T>;

/** `next(value)` now when `value` is here, else once it is; a promise only when one came in. */
export function andThen<T, U>(value: Settled<T>, next: (value: T) => Settled<U>): Settled<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
