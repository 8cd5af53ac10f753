// Property tests: the matcher and both indices against oracles, on seeded random inputs.
// A small alphabet keeps matches frequent; a failure prints the seed's case, so it replays.
import micromatch from 'micromatch';
import { describe, expect, test } from 'vitest';
import { matchesTopic } from '../../../src/core/topics/pattern.js';
import { SubscriptionIndex } from '../../../src/core/topics/subscriptionIndex.js';
import { TopicIndex } from '../../../src/core/topics/topicIndex.js';
import {
  micromatchMatcher,
  pattern,
  prng,
  randomPattern,
  randomTopic,
  referenceMatcher,
} from './support.js';

const ALPHABET = ['a', 'b', 'c'];

describe('oracles', () => {
  test('micromatch departs from CONTRACT §3 only where a trailing `**` follows a `*`', () => {
    // `a.**` matches `a` for both; `*.**` matches `a` for us but not for micromatch.
    expect(micromatch.isMatch('a', 'a/**')).toBe(true);
    expect(micromatch.isMatch('a/z', 'a/**/z')).toBe(true);
    expect(micromatch.isMatch('a', '**')).toBe(true);
    expect(micromatch.isMatch('a', '*/**')).toBe(false);
    expect(micromatch.isMatch('a/b', 'a/**/*/**')).toBe(false);
    expect(referenceMatcher(['*', '**'])(['a'])).toBe(true);
    expect(micromatchMatcher(['*', '**'])(['a'])).toBe(true);
  });

  test('matchesTopic, the reference matcher and micromatch agree', () => {
    const random = prng(1);
    for (let p = 0; p < 2000; p++) {
      const segments = randomPattern(random, ALPHABET, 6);
      const compiled = pattern(segments.join('.'));
      const reference = referenceMatcher(segments);
      const glob = micromatchMatcher(segments);
      for (let t = 0; t < 40; t++) {
        const topic = randomTopic(random, ALPHABET, 7);
        const expected = reference(topic);
        const found = matchesTopic(compiled, topic);
        if (found !== expected || glob(topic) !== expected) {
          expect({ pattern: segments.join('.'), topic: topic.join('.'), found, glob: glob(topic) }).toEqual({
            pattern: segments.join('.'),
            topic: topic.join('.'),
            found: expected,
            glob: expected,
          });
        }
      }
    }
  });
});

describe('SubscriptionIndex vs the reference matcher', () => {
  test('visits exactly the matching entries, once each, before and after removals', () => {
    const random = prng(2);
    const index = new SubscriptionIndex<number>();
    const entries = Array.from({ length: 1200 }, (_, value) => {
      const segments = randomPattern(random, ALPHABET, 5);
      const entry = { value, source: segments.join('.'), matches: referenceMatcher(segments), live: true };
      index.add(pattern(entry.source), value);
      return entry;
    });
    const topics = Array.from({ length: 800 }, () => randomTopic(random, ALPHABET, 6));

    const check = (): number => {
      let visits = 0;
      for (const topic of topics) {
        const found: number[] = [];
        index.forEachMatch(topic, (value) => found.push(value));
        const expected = entries.filter((e) => e.live && e.matches(topic)).map((e) => e.value);
        found.sort((x, y) => x - y);
        if (found.join() !== expected.join()) {
          expect({ topic: topic.join('.'), found }).toEqual({ topic: topic.join('.'), found: expected });
        }
        visits += found.length;
      }
      return visits;
    };

    expect(check()).toBeGreaterThan(10_000); // the alphabet is small enough for many matches
    for (const entry of entries) {
      if (random() < 0.5) continue;
      expect(index.remove(pattern(entry.source), entry.value)).toBe(true);
      entry.live = false;
    }
    expect(index.size).toBe(entries.filter((e) => e.live).length);
    check();
    for (const entry of entries) if (entry.live) index.remove(pattern(entry.source), entry.value);
    expect(index.size).toBe(0);
    expect(index.nodeCount).toBe(1);
  });
});

describe('TopicIndex vs the reference matcher', () => {
  test('visits exactly the matching topics, once each, before and after removals', () => {
    const random = prng(3);
    const index = new TopicIndex();
    const stored = new Map<string, string[]>();
    for (let i = 0; i < 1500; i++) {
      const segments = randomTopic(random, ALPHABET, 7);
      const topic = segments.join('.');
      expect(index.add(topic, segments)).toBe(!stored.has(topic));
      stored.set(topic, segments);
    }
    const patterns = Array.from({ length: 1000 }, () => randomPattern(random, ALPHABET, 5));

    const check = (): number => {
      let visits = 0;
      for (const segments of patterns) {
        const matches = referenceMatcher(segments);
        const found: string[] = [];
        index.forEachMatching(pattern(segments.join('.')), (topic) => found.push(topic));
        const expected = [...stored].filter(([, s]) => matches(s)).map(([topic]) => topic);
        found.sort();
        expected.sort();
        if (found.join() !== expected.join()) {
          expect({ pattern: segments.join('.'), found }).toEqual({ pattern: segments.join('.'), found: expected });
        }
        visits += found.length;
      }
      return visits;
    };

    expect(check()).toBeGreaterThan(10_000);
    for (const [topic, segments] of [...stored]) {
      if (random() < 0.5) continue;
      expect(index.remove(topic, segments)).toBe(true);
      stored.delete(topic);
    }
    expect(index.size).toBe(stored.size);
    check();
  });
});
