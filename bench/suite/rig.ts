// The fan-out machinery the fan-out and latency benchmarks share: a target with N subscribers and
// a few publishers, one delivery counter over every subscriber, and three ways of driving events
// (a window of events in flight, a burst in one turn, one event at a time).
import { readFileSync } from 'node:fs';
import { openMany } from '../load/rawWs.js';
import type { FanoutPublisher, FanoutTarget, TargetSpec } from '../targets/target.js';

/** Counts deliveries over every subscriber and calls back once a count is reached. */
export class DeliveryCounter {
  n = 0;
  private target = Number.POSITIVE_INFINITY;
  private onTarget: () => void = () => {};

  readonly hit = (): void => {
    if (++this.n >= this.target) {
      this.target = Number.POSITIVE_INFINITY;
      this.onTarget();
    }
  };

  /** Calls `fn` once `count` deliveries have been counted (at once if they have). One wait at a time. */
  when(count: number, fn: () => void): void {
    if (this.n >= count) fn();
    else {
      this.target = count;
      this.onTarget = fn;
    }
  }
}

export interface Rig {
  readonly spec: TargetSpec;
  readonly target: FanoutTarget;
  readonly subscribers: number;
  readonly publishers: readonly FanoutPublisher[];
  readonly counter: DeliveryCounter;
  /** Whether the last burst registered its brewers (the next one then removes them). */
  burstAdded: boolean;
}

export async function openRig(spec: TargetSpec, subscribers: number, publishers: number, payloadBytes: number): Promise<Rig> {
  const target = await spec.start(payloadBytes);
  try {
    const counter = new DeliveryCounter();
    await openMany(subscribers, spec.connectConcurrency, () => target.subscribe(counter.hit));
    const pubs: FanoutPublisher[] = [];
    for (let i = 0; i < publishers; i++) pubs.push(await target.publisher());
    return { spec, target, subscribers, publishers: pubs, counter, burstAdded: false };
  } catch (error) {
    await target.close();
    throw error;
  }
}

/** Ids of the brewers the steady and sequential drivers use; bursts use p * 1000 + j below them. */
const STEADY_IDS = 100_000;

function publisherOf(rig: Rig, index: number): FanoutPublisher {
  const publisher = rig.publishers[index];
  if (!publisher) throw new Error(`${rig.spec.label} has no publisher ${index}`);
  return publisher;
}

/**
 * `events` events (an even number: register, unregister, …) from publisher 0, each in a write of
 * its own, with at most `window` events not yet delivered to every subscriber.
 */
export function steady(rig: Rig, events: number, window: number): Promise<void> {
  const publisher = publisherOf(rig, 0);
  const { counter, subscribers } = rig;
  const base = counter.n;
  let sent = 0;
  return new Promise((resolve) => {
    const pump = (): void => {
      while (sent < events && counter.n - base >= (sent - window + 1) * subscribers) {
        publisher.write(publisher.event(sent % 2 === 0, STEADY_IDS + ((sent >> 1) % 1000)));
        sent++;
      }
      if (sent === events) counter.when(base + events * subscribers, resolve);
      else counter.when(base + (sent - window + 1) * subscribers, pump);
    };
    pump();
  });
}

/**
 * `events` registrations (or, every other call, their unregistrations) split over the publishers,
 * each publisher's share in one write, every write in the same turn of the load generator.
 */
export function burst(rig: Rig, events: number): Promise<void> {
  const add = !rig.burstAdded;
  rig.burstAdded = add;
  const { counter, subscribers, publishers } = rig;
  const base = counter.n;
  const writes: [FanoutPublisher, Buffer][] = [];
  publishers.forEach((publisher, p) => {
    const frames: Buffer[] = [];
    for (let j = p; j < events; j += publishers.length) frames.push(publisher.event(add, p * 1000 + j));
    writes.push([publisher, Buffer.concat(frames)]);
  });
  for (const [publisher, bytes] of writes) publisher.write(bytes);
  return new Promise((resolve) => counter.when(base + events * subscribers, resolve));
}

export interface Latencies {
  /** ms from the write of each event to its first delivery counted. */
  readonly first: number[];
  /** ms from the write of each event to its last delivery counted: every subscriber told. */
  readonly last: number[];
}

/** `events` events one at a time: each is written once the one before reached every subscriber. */
export function sequential(rig: Rig, events: number): Promise<Latencies> {
  const publisher = publisherOf(rig, 0);
  const { counter, subscribers } = rig;
  const base = counter.n;
  const first: number[] = [];
  const last: number[] = [];
  return new Promise((resolve) => {
    const send = (k: number): void => {
      if (k === events) {
        resolve({ first, last });
        return;
      }
      const frame = publisher.event(k % 2 === 0, STEADY_IDS + ((k >> 1) % 1000));
      const started = performance.now();
      publisher.write(frame);
      counter.when(base + k * subscribers + 1, () => {
        first.push(performance.now() - started);
        counter.when(base + (k + 1) * subscribers, () => {
          last.push(performance.now() - started);
          send(k + 1);
        });
      });
    };
    send(0);
  });
}

/** The soft limit on open files of this process (children inherit it). */
export function openFileLimit(): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  if (!match?.[1] || match[1] === 'unlimited') return Number.MAX_SAFE_INTEGER;
  return Number(match[1]);
}
