// Publish-side matching: the subscription trie against a scan of every subscription, on ~10k
// subscriptions over a region.site.device.metric hierarchy.
import { compilePattern, matchesTopic, type Pattern } from '../src/core/topics/pattern.js';
import { SubscriptionIndex } from '../src/core/topics/subscriptionIndex.js';
import { measure, prng, reportRatio } from './harness.js';

const SUBSCRIPTIONS = 10_000;
const LEVELS = [10, 50, 100, 10]; // regions, sites per region, devices per site, metrics

function randomTopic(random: () => number): string[] {
  const names = ['region', 'site', 'device', 'metric'];
  return LEVELS.map((count, level) => `${names[level] ?? 'x'}${Math.floor(random() * count)}`);
}

/** 50% literal, 30% with one or two `*`, 20% with a `**` (prefix, suffix or middle). */
function randomPattern(random: () => number): string[] {
  const topic = randomTopic(random);
  const roll = random();
  if (roll < 0.5) return topic;
  if (roll < 0.8) {
    const stars = roll < 0.7 ? 1 : 2;
    for (let i = 0; i < stars; i++) topic[Math.floor(random() * topic.length)] = '*';
    return topic;
  }
  const kind = random();
  if (kind < 0.5) return [...topic.slice(0, 1 + Math.floor(random() * 2)), '**'];
  if (kind < 0.75) return ['**', ...topic.slice(3)];
  return [topic[0] ?? 'region0', '**', ...topic.slice(3)];
}

export async function run(): Promise<void> {
  const random = prng(42);
  const patterns: Pattern[] = [];
  const index = new SubscriptionIndex<number>();
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const segments = randomPattern(random);
    const pattern = compilePattern(segments.join('.'), segments);
    patterns.push(pattern);
    index.add(pattern, i);
  }
  const topics = Array.from({ length: 1024 }, () => randomTopic(random));

  const scanOne = (topic: readonly string[]): number => {
    let hits = 0;
    for (const pattern of patterns) if (matchesTopic(pattern, topic)) hits++;
    return hits;
  };
  const trieOne = (topic: readonly string[]): number => {
    let hits = 0;
    index.forEachMatch(topic, () => hits++);
    return hits;
  };

  // Both must find the same subscriptions, or the comparison means nothing.
  let expected = 0;
  let found = 0;
  for (const topic of topics) {
    expected += scanOne(topic);
    found += trieOne(topic);
  }
  if (expected !== found) throw new Error(`The trie found ${found} matches where the scan found ${expected}.`);

  console.log(
    `matcher: ${index.size} subscriptions, ` +
      `${(expected / topics.length).toFixed(1)} matches per topic on average`,
  );
  let next = 0;
  const results = [
    measure('linear scan (matchesTopic)', () => scanOne(topics[next++ & 1023] ?? []), { minMs: 1000 }),
    measure('SubscriptionIndex.forEachMatch', () => trieOne(topics[next++ & 1023] ?? []), { minMs: 1000 }),
  ];
  reportRatio('linear scan (matchesTopic)', results);
}
