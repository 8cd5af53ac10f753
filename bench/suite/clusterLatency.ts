// Register→notify latency, one brewer at a time: the time from just before a BREWER_REGISTER is
// written on one node until the subscriber on another node has its BREWER_NOTIFY, and the same
// for the BREWER_UNREGISTER and its BREWER_REMOVED. The next write waits for the event before,
// so each sample is one write's whole trip (on a cluster: the script in Redis, the log, the other
// node's copy) with nothing queued ahead of it. Sender and receiver share the bench's clock.
import { brewerFrame, NOTIFY, REMOVED, type BrewerSession, type Subscriber } from './clusterClients.js';

export interface LatencySamples {
  /** ms from each BREWER_REGISTER to its BREWER_NOTIFY. */
  readonly notify: number[];
  /** ms from each BREWER_UNREGISTER to its BREWER_REMOVED. */
  readonly removed: number[];
}

/** How long one event may take before the run is called stalled (a notification that never came). */
const EVENT_TIMEOUT_MS = 10_000;

/** `events` brewers `lat-<first + k>`, each registered by `brewer`, then unregistered. */
export function oneAtATime(brewer: BrewerSession, subscriber: Subscriber, events: number, first: number): Promise<LatencySamples> {
  const samples: LatencySamples = { notify: [], removed: [] };
  return new Promise((resolve, reject) => {
    let k = 0;
    let expected: number = NOTIFY;
    let started = 0;
    const finish = (error?: Error): void => {
      clearTimeout(watchdog);
      subscriber.onEvent = () => {};
      subscriber.onFailure = () => {};
      brewer.onFailure = () => {};
      if (error) reject(error);
      else resolve(samples);
    };
    const watchdog = setTimeout(() => {
      const what = expected === NOTIFY ? 'BREWER_NOTIFY' : 'BREWER_REMOVED';
      finish(new Error(`no ${what} for brewer lat-${first + k} within ${EVENT_TIMEOUT_MS} ms (after ${k} events)`));
    }, EVENT_TIMEOUT_MS);
    const send = (add: boolean): void => {
      expected = add ? NOTIFY : REMOVED;
      const frame = brewerFrame(add, `lat-${first + k}`);
      watchdog.refresh();
      started = performance.now();
      brewer.write(frame);
    };
    subscriber.onEvent = (packet) => {
      const ms = performance.now() - started;
      if (packet !== expected) return finish(new Error(`the subscriber got packet ${packet} where ${expected} was expected`));
      if (packet === NOTIFY) {
        samples.notify.push(ms);
        send(false);
      } else {
        samples.removed.push(ms);
        if (++k === events) finish();
        else send(true);
      }
    };
    subscriber.onFailure = finish;
    brewer.onFailure = finish;
    send(true);
  });
}
