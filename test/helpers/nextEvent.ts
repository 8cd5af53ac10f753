/** Something with on/off for one event carrying one value (both SDK clients are). */
interface Listenable<T> {
  on(event: string, listener: (value: T) => void): unknown;
  off(event: string, listener: (value: T) => void): unknown;
}

/**
 * Resolves with the next `event` value matching `pred`. The timeout only bounds a failure;
 * nothing here waits for time to pass.
 */
export function nextEvent<T>(emitter: Listenable<T>, event: string, pred: (value: T) => boolean, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, onValue);
      reject(new Error(`no matching ${what} in time`));
    }, ms);
    const onValue = (value: T): void => {
      if (!pred(value)) return;
      clearTimeout(timer);
      emitter.off(event, onValue);
      resolve(value);
    };
    emitter.on(event, onValue);
  });
}
