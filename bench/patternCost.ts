// What one pattern can cost the server (CONTRACT §6b): a snapshot that matches nothing over 50k
// topics, against a literal lookup; and a registration's match against 1,000 subscriptions of as
// many `**` as a pattern may hold (4), against the twelve they could hold before the cap.
import { compilePattern, type Pattern } from '../src/core/topics/pattern.js';
import { SubscriptionIndex } from '../src/core/topics/subscriptionIndex.js';
import { TopicIndex } from '../src/core/topics/topicIndex.js';
import { measure, prng, reportRatio } from './harness.js';

const TOPICS = 50_000;
const PATRONS = 1_000;

const patternOf = (source: string): Pattern => compilePattern(source, source.split('.'));

function snapshots(): void {
  const random = prng(7);
  const index = new TopicIndex();
  const names: string[] = [];
  for (let i = 0; i < TOPICS; i++) {
    const segments = [`region${i % 10}`, `site${Math.floor(random() * 50)}`, `device${i}`, `metric${i % 10}`];
    names.push(segments.join('.'));
    index.add(segments.join('.'), segments);
  }
  const count = (pattern: Pattern): number => {
    let n = 0;
    index.forEachMatching(pattern, () => n++);
    return n;
  };
  const literal = patternOf(names[12_345] ?? '');
  const none = patternOf('**.zz');
  const oneDevice = patternOf('**.device4242.*');
  if (count(literal) !== 1 || count(none) !== 0 || count(oneDevice) !== 1) throw new Error('the index found the wrong topics');
  console.log(`pattern cost: snapshots over ${index.size} topics`);
  reportRatio('literal topic (1 match)', [
    measure('literal topic (1 match)', () => count(literal), { minMs: 500 }),
    measure('**.zz (no match)', () => count(none), { minMs: 500 }),
    measure('**.device4242.* (1 match)', () => count(oneDevice), { minMs: 500 }),
  ]);
}

/**
 * `count` subscriptions of `stars` `**` each, every one followed by a literal of a 3-letter
 * alphabet the topic is made of: the patterns share few trie paths, and each `**` can stand for
 * any run of the topic's segments, so every node is reached at many positions.
 */
function starred(count: number, stars: number, seed: number): SubscriptionIndex<number> {
  const random = prng(seed);
  const index = new SubscriptionIndex<number>();
  for (let i = 0; i < count; i++) {
    const segments: string[] = [];
    for (let k = 0; k < stars; k++) segments.push('**', `x${Math.floor(random() * 3)}`);
    index.add(patternOf(segments.join('.')), i);
  }
  return index;
}

function registrations(): void {
  const uncapped = starred(PATRONS, 12, 11);
  const capped = starred(PATRONS, 4, 11);
  const topic = Array.from({ length: 32 }, (_, i) => `x${i % 3}`);
  const visit = (index: SubscriptionIndex<number>): number => {
    let n = 0;
    index.forEachMatch(topic, () => n++);
    return n;
  };
  console.log(`pattern cost: one 32-segment registration matched against ${PATRONS} subscriptions full of **`);
  reportRatio(`twelve ** each (no cap)`, [
    measure(`twelve ** each (no cap)`, () => visit(uncapped), { minMs: 500 }),
    measure(`four ** each (the default cap)`, () => visit(capped), { minMs: 500 }),
  ]);
}

export async function run(): Promise<void> {
  snapshots();
  registrations();
  await Promise.resolve();
}
