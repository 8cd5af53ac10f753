// What one pattern can cost the server (CONTRACT §6b): a snapshot that matches nothing over 50k
// topics, against a literal lookup; and a registration's match against 1,000 subscriptions with
// as many `**` as a pattern may hold, against 1,000 literal ones.
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

function registrations(): void {
  const random = prng(11);
  const literal = new SubscriptionIndex<number>();
  const starred = new SubscriptionIndex<number>();
  for (let i = 0; i < PATRONS; i++) {
    literal.add(patternOf(`a.b${i}.c.d`), i);
    // Four `**` (the default cap) around literals the topic mostly holds: the worst case a
    // pattern may still be, since each `**` can stand for any run of the topic's segments.
    const x = Math.floor(random() * 16);
    starred.add(patternOf(`**.s${x}.**.s${(x + 3) % 16}.**.s${i}.**`), i);
  }
  const topic = Array.from({ length: 16 }, (_, i) => `s${i}`);
  const visit = (index: SubscriptionIndex<number>): number => {
    let n = 0;
    index.forEachMatch(topic, () => n++);
    return n;
  };
  console.log(`pattern cost: one 16-segment registration against ${PATRONS} subscriptions`);
  reportRatio(`${PATRONS} literal subscriptions`, [
    measure(`${PATRONS} literal subscriptions`, () => visit(literal), { minMs: 500 }),
    measure(`${PATRONS} subscriptions of four **`, () => visit(starred), { minMs: 500 }),
  ]);
}

export async function run(): Promise<void> {
  snapshots();
  registrations();
  await Promise.resolve();
}
