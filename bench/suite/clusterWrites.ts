// Registry writes per second: several writer sessions register (or unregister) brewers of their
// own, each keeping a window of requests the subscriber has not yet been told of, and the phase
// ends once the subscriber has been told of every one and every writer's barrier has returned.
// Counting at the subscriber, on a node that wrote nothing, counts what the whole system applied.
import { brewerFrame, NOTIFY, REMOVED, writerOf, writerUuid, type BrewerSession, type Subscriber } from './clusterClients.js';

export interface WriteShape {
  /** Requests a writer may have whose event the subscriber has not seen (below the server's 256 held frames). */
  readonly window: number;
  /** Requests per write of the load generator. */
  readonly batch: number;
}

/**
 * Each writer's requests for brewers `w<writer>-<first + n>`, n in [0, perWriter), `batch` frames
 * to a buffer: built before the measured phase, so the phase only writes them.
 */
export function writerBatches(writers: number, perWriter: number, first: number, add: boolean, shape: WriteShape): Buffer[][] {
  if (perWriter % shape.batch !== 0) throw new Error(`${perWriter} writes per writer is not a multiple of the batch, ${shape.batch}`);
  return Array.from({ length: writers }, (_, w) => {
    const batches: Buffer[] = [];
    for (let n = 0; n < perWriter; n += shape.batch) {
      const frames = Array.from({ length: shape.batch }, (_, i) => brewerFrame(add, writerUuid(w, first + n + i)));
      batches.push(Buffer.concat(frames));
    }
    return batches;
  });
}

/** How long the subscriber may go without an event before the phase is called stalled. */
const QUIET_TIMEOUT_MS = 10_000;

interface Lane {
  readonly writer: BrewerSession;
  readonly batches: readonly Buffer[];
  /** Batches written. */
  next: number;
  /** Events of this writer's the subscriber has seen. */
  told: number;
}

/** Writes every writer's batches (registrations if `add`) and resolves once all are applied. */
export function writeAll(writers: readonly BrewerSession[], subscriber: Subscriber, batches: readonly Buffer[][], add: boolean, shape: WriteShape): Promise<void> {
  const expected = add ? NOTIFY : REMOVED;
  const lanes: Lane[] = writers.map((writer, w) => ({ writer, batches: batches[w] ?? [], next: 0, told: 0 }));
  const total = lanes.reduce((sum, lane) => sum + lane.batches.length * shape.batch, 0);
  let seen = 0;
  const pump = (lane: Lane): void => {
    for (let bytes = lane.batches[lane.next]; bytes && (lane.next + 1) * shape.batch - lane.told <= shape.window; bytes = lane.batches[lane.next]) {
      lane.writer.write(bytes);
      lane.next++;
    }
  };
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(watchdog);
      subscriber.onEvent = () => {};
      subscriber.onFailure = () => {};
      for (const writer of writers) writer.onFailure = () => {};
      if (error) reject(error);
      else Promise.all(writers.map((w) => w.sync())).then(() => resolve(), reject);
    };
    const watchdog = setTimeout(() => finish(new Error(`the subscriber was told of ${seen} of ${total} writes, then of nothing for ${QUIET_TIMEOUT_MS} ms`)), QUIET_TIMEOUT_MS);
    subscriber.onEvent = (packet, payload) => {
      const lane = lanes[writerOf(payload)];
      if (packet !== expected || !lane) return finish(new Error(`the subscriber got an unexpected event: ${payload.toString()}`));
      watchdog.refresh();
      lane.told++;
      if (lane.told % shape.batch === 0) pump(lane);
      if (++seen === total) finish();
    };
    subscriber.onFailure = finish;
    for (const writer of writers) writer.onFailure = finish;
    for (const lane of lanes) pump(lane);
  });
}
